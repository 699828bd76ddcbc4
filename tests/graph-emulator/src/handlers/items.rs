//! Collection-generic handler bodies shared by contacts and events.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Params, if_match, int_param, object, paged, prefer_max_page_size};
use crate::auth::Caller;
use crate::delta::{DeltaError, DeltaRequest, delta};
use crate::error::{EmulatorError, GraphError};
use crate::mailbox::Coll;
use crate::shared::{Shared, Target};
use crate::time::parse_millis;

pub(crate) type R = Result<Response, GraphError>;

fn target<'a>(
    coll: Coll,
    caller: &'a Caller,
    user: &'a str,
    folder: Option<&'a str>,
) -> Target<'a> {
    Target {
        coll,
        tenant: Some(&caller.tenant_id),
        user,
        folder,
    }
}

pub(crate) fn list_folders(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    user: &str,
    q: &Params,
) -> R {
    let st = shared.lock();
    let id = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&id)?.mailbox;
    let items = mb
        .folders(coll)
        .iter()
        .map(|f| mb.folder_json(coll, f))
        .collect();
    let top = int_param(q, "$top")?.unwrap_or(shared.config.default_page_size);
    let skip = int_param(q, "$skip")?.unwrap_or(0);
    let link = format!(
        "{}/users/{user}/{}",
        shared.graph_base(),
        coll.folder_segment()
    );
    Ok(Json(paged(items, skip, top, &link)).into_response())
}

pub(crate) fn create_folder(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    user: &str,
    body: Value,
) -> R {
    let body = object(body)?;
    let key = match coll {
        Coll::Contacts => "displayName",
        Coll::Events => "name",
    };
    let name = body.get(key).and_then(Value::as_str).unwrap_or_default();
    let mut st = shared.lock();
    let id = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &mut st.user_mut(&id)?.mailbox;
    let folder = mb.create_folder(coll, name)?;
    Ok((StatusCode::CREATED, Json(mb.folder_json(coll, &folder))).into_response())
}

pub(crate) fn get_folder(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    user: &str,
    folder: &str,
) -> R {
    let st = shared.lock();
    let id = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&id)?.mailbox;
    Ok(Json(mb.folder_json(coll, mb.folder(coll, folder)?)).into_response())
}

pub(crate) fn list(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    user: &str,
    folder: Option<&str>,
    q: &Params,
) -> R {
    let st = shared.lock();
    let id = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&id)?.mailbox;
    let folder = folder.unwrap_or(mb.default_folder(coll));
    mb.folder(coll, folder)?;
    let items = mb
        .items_in(coll, folder)
        .iter()
        .map(|i| i.to_json())
        .collect();
    let top = int_param(q, "$top")?.unwrap_or(shared.config.default_page_size);
    let skip = int_param(q, "$skip")?.unwrap_or(0);
    let link = format!(
        "{}/users/{user}/{}/{folder}/{}",
        shared.graph_base(),
        coll.folder_segment(),
        coll.item_segment()
    );
    Ok(Json(paged(items, skip, top, &link)).into_response())
}

pub(crate) fn get(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    user: &str,
    folder: Option<&str>,
    id: &str,
) -> R {
    let st = shared.lock();
    let uid = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&uid)?.mailbox;
    let item = mb.item(coll, id)?;
    if folder.is_some_and(|f| f != item.folder_id) {
        return Err(EmulatorError::NotFound(format!("{} {id}", coll.noun())).into());
    }
    Ok(Json(item.to_json()).into_response())
}

pub(crate) fn create(
    shared: &Arc<Shared>,
    caller: &Caller,
    coll: Coll,
    user: &str,
    folder: Option<&str>,
    body: Value,
) -> R {
    let json = shared.create_item(target(coll, caller, user, folder), object(body)?)?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

pub(crate) fn patch(
    shared: &Arc<Shared>,
    caller: &Caller,
    coll: Coll,
    (user, folder, id): (&str, Option<&str>, &str),
    headers: &HeaderMap,
    body: Value,
) -> R {
    let json = shared.update_item(
        target(coll, caller, user, folder),
        id,
        object(body)?,
        if_match(headers).as_deref(),
    )?;
    Ok(Json(json).into_response())
}

pub(crate) fn delete(
    shared: &Arc<Shared>,
    caller: &Caller,
    coll: Coll,
    (user, folder, id): (&str, Option<&str>, &str),
    headers: &HeaderMap,
) -> R {
    shared.delete_item(
        target(coll, caller, user, folder),
        id,
        if_match(headers).as_deref(),
    )?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `startDateTime`/`endDateTime` of a calendarView request.
pub(crate) fn window(q: &Params) -> Result<Option<(i64, i64)>, GraphError> {
    match (q.get("startDateTime"), q.get("endDateTime")) {
        (Some(s), Some(e)) => {
            let s =
                parse_millis(s).ok_or_else(|| GraphError::bad_request("Invalid startDateTime."))?;
            let e =
                parse_millis(e).ok_or_else(|| GraphError::bad_request("Invalid endDateTime."))?;
            Ok(Some((s, e)))
        }
        (None, None) => Ok(None),
        _ => Err(GraphError::bad_request(
            "Both startDateTime and endDateTime are required.",
        )),
    }
}

/// `GET …/calendarView?startDateTime&endDateTime` (no recurrence expansion).
pub(crate) fn calendar_view(
    shared: &Shared,
    caller: &Caller,
    user: &str,
    folder: Option<&str>,
    q: &Params,
) -> R {
    let (ws, we) = window(q)?.ok_or_else(|| {
        GraphError::bad_request("This request requires startDateTime and endDateTime.")
    })?;
    let st = shared.lock();
    let uid = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&uid)?.mailbox;
    let folder = folder.unwrap_or(mb.default_folder(Coll::Events));
    mb.folder(Coll::Events, folder)?;
    let items = mb
        .items_in(Coll::Events, folder)
        .iter()
        .filter(|i| i.span().is_some_and(|(s, e)| s < we && e > ws))
        .map(|i| i.to_json())
        .collect();
    let top = int_param(q, "$top")?.unwrap_or(shared.config.default_page_size);
    let skip = int_param(q, "$skip")?.unwrap_or(0);
    let link = format!(
        "{}/users/{user}/calendars/{folder}/calendarView?startDateTime={}&endDateTime={}",
        shared.graph_base(),
        q.get("startDateTime").map_or("", String::as_str),
        q.get("endDateTime").map_or("", String::as_str),
    );
    Ok(Json(paged(items, skip, top, &link)).into_response())
}

/// Contact delta (`…/contacts/delta`) or calendarView delta (`…/calendarView/delta`).
pub(crate) fn delta_page(
    shared: &Shared,
    caller: &Caller,
    coll: Coll,
    (user, folder): (&str, Option<&str>),
    q: &Params,
    headers: &HeaderMap,
) -> R {
    let preferred = prefer_max_page_size(headers);
    let skip_token = q.get("$skiptoken").map(String::as_str);
    let delta_token = q.get("$deltatoken").map(String::as_str);
    let win = match coll {
        Coll::Contacts => None,
        Coll::Events => {
            let w = window(q)?;
            if w.is_none() && skip_token.is_none() && delta_token.is_none() {
                return Err(GraphError::bad_request(
                    "This request requires startDateTime and endDateTime.",
                ));
            }
            w
        }
    };
    let st = shared.lock();
    let uid = st.resolve_user(Some(&caller.tenant_id), user)?;
    let mb = &st.user(&uid)?.mailbox;
    let folder = folder.unwrap_or(mb.default_folder(coll));
    mb.folder(coll, folder)?;
    let link = match coll {
        Coll::Contacts => format!(
            "{}/users/{user}/contactFolders/{folder}/contacts/delta",
            shared.graph_base()
        ),
        Coll::Events => format!(
            "{}/users/{user}/calendars/{folder}/calendarView/delta",
            shared.graph_base()
        ),
    };
    let page = delta(
        mb.store(coll),
        DeltaRequest {
            folder_id: folder,
            skip_token,
            delta_token,
            page_size: preferred.unwrap_or(shared.config.default_page_size),
            epoch: mb.delta_epoch,
            window: win,
        },
    )
    .map_err(|e| match e {
        DeltaError::SyncStateNotFound => GraphError {
            location: Some(format!("{link}?$deltatoken=")),
            ..GraphError::new(
                StatusCode::GONE,
                "syncStateNotFound",
                "The sync state generation is not found; a full resync is required.",
            )
        },
        DeltaError::BadToken => GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidSyncStateData",
            "The sync state data is corrupt or otherwise invalid.",
        ),
    })?;
    let mut body = json!({
        "@odata.context": format!("{}/$metadata#Collection({})", shared.graph_base(), coll.noun()),
        "value": page.items,
    });
    if let Some(t) = page.skip_token {
        body["@odata.nextLink"] = Value::String(format!("{link}?$skiptoken={t}"));
    }
    if let Some(t) = page.delta_token {
        body["@odata.deltaLink"] = Value::String(format!("{link}?$deltatoken={t}"));
    }
    let mut resp = Json(body).into_response();
    if let Some(v) =
        preferred.and_then(|n| HeaderValue::from_str(&format!("odata.maxpagesize={n}")).ok())
    {
        resp.headers_mut().insert("preference-applied", v);
    }
    Ok(resp)
}
