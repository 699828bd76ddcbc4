//! Client files: the records documents belong to ("the client file's Documents", DOC-1).

use bridge_core::tenant::{TenantId, User};
use bridge_store::{Condition, Query};

use crate::model::{from_item, item_of};
use crate::{ClientFile, ClientId, DocError, Documents, Listing, PageRequest, auth, keys, name};

impl Documents {
    /// Creates a client file. Any user of the tenant may; the name is validated
    /// ([`name::client_name`]).
    pub async fn create_client(
        &self,
        tenant: TenantId,
        actor: &User,
        name: &str,
    ) -> Result<ClientFile, DocError> {
        auth::member(tenant, actor)?;
        let name = name::client_name(name)?;
        let client = ClientFile {
            client_id: ClientId(self.ids.new_id()),
            name,
            created_at: self.clock.now_ms(),
            created_by: actor.id,
        };
        let item = item_of(keys::client(tenant, client.client_id), &client)?;
        self.table.put(item, Some(Condition::NotExists)).await?;
        Ok(client)
    }

    /// A client file of this tenant; [`DocError::NotFound`] for unknown ids and for ids of other
    /// tenants alike.
    pub async fn get_client(
        &self,
        tenant: TenantId,
        client_id: ClientId,
    ) -> Result<ClientFile, DocError> {
        match self.table.get(&keys::client(tenant, client_id)).await? {
            Some(item) => from_item(&item, "client file"),
            None => Err(DocError::NotFound(format!("client file {client_id}"))),
        }
    }

    /// The tenant's client files, one page at a time, in id order (ids are time-ordered, so this
    /// is creation order).
    pub async fn list_clients(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Listing<ClientFile>, DocError> {
        let q = Query::partition(keys::pk(tenant))
            .prefix(keys::CLIENT_PREFIX)
            .limit(page.checked_limit()?)
            .after(page.cursor.clone());
        let res = self.table.query(&q).await?;
        let items = res
            .items
            .iter()
            .map(|i| from_item(i, "client file"))
            .collect::<Result<_, _>>()?;
        Ok(Listing {
            items,
            next: res.next,
        })
    }
}
