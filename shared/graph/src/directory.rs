//! Users of the tenant (`User.Read.All`): the installer finds M365 users to invite, and every
//! mailbox the sync touches is addressed by a user id from here. Not mailbox requests, so they
//! are charged to the app-wide budget.

use reqwest::Method;

use crate::client::{GraphClient, Req, seg};
use crate::error::GraphError;
use crate::limiter::Bucket;
use crate::model::User;

const USER_FIELDS: &str = "id,displayName,mail,userPrincipalName";

impl GraphClient {
    /// All users of the tenant, following `@odata.nextLink` paging.
    pub async fn list_users(&self) -> Result<Vec<User>, GraphError> {
        let url = self.url(&format!(
            "/users?$top={}&$select={USER_FIELDS}",
            self.page_size()
        ));
        self.get_all(url, Bucket::App)
            .await?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| GraphError::Decode(e.to_string())))
            .collect()
    }

    /// One user by id or userPrincipalName.
    pub async fn get_user(&self, id_or_upn: &str) -> Result<User, GraphError> {
        let url = self.url(&format!("/users/{}?$select={USER_FIELDS}", seg(id_or_upn)));
        self.execute(Req::new(Method::GET, url, Bucket::App))
            .await?
            .json()
    }
}
