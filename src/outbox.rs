//! The offline outbox (DESIGN §5). Work in progress.

use serde_json::Value;

use crate::api::Client;
use crate::error::{Error, Result};

pub fn list(_client: &Client, _request: &Value) -> Result<Value> {
    Err(Error::internal("outbox not built yet"))
}

pub fn flush(_client: &Client, _request: &Value) -> Result<Value> {
    Err(Error::internal("outbox not built yet"))
}
