//! Turns DynamoDB stream records (NEW_IMAGE) back into table items and relays them.

use std::collections::BTreeMap;

use aws_lambda_events::dynamodb::Event;
use serde_json::Value;

use kyc_app::Deps;
use kyc_app::table::{Attr, Item, Key};

/// The item a stream record's new image holds, if it is one of ours.
pub fn item_of(image: &Value) -> Option<Item> {
    let map = image.as_object()?;
    let string = |name: &str| map.get(name)?.get("S")?.as_str().map(String::from);
    let mut attrs = BTreeMap::new();
    for (name, value) in map {
        if ["pk", "sk", "body"].contains(&name.as_str()) {
            continue;
        }
        if let Some(s) = value.get("S").and_then(Value::as_str) {
            attrs.insert(name.clone(), Attr::S(s.to_string()));
        } else if let Some(n) = value.get("N").and_then(Value::as_str).and_then(|n| n.parse::<i64>().ok()) {
            attrs.insert(name.clone(), Attr::N(n));
        }
    }
    Some(Item { key: Key::new(string("pk")?, string("sk")?), attrs, body: string("body")? })
}

/// Relays every record; an error fails the batch, and the event source mapping
/// retries it (bisecting to isolate a poison record, then sending it to the
/// on-failure destination). Relaying twice only queues duplicates, which receivers
/// dedupe on `webhook-id`.
pub async fn handle(deps: &Deps, event: Event) -> Result<(), lambda_runtime::Error> {
    let mut relayed = 0;
    for record in &event.records {
        let image = serde_json::to_value(&record.change.new_image)?;
        let Some(item) = item_of(&image) else { continue };
        relayed += kyc_app::relay::relay_item(deps, &item).await?;
    }
    tracing::info!(records = event.records.len(), relayed, "stream batch relayed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_image_reads_back_as_the_stored_item() {
        let event: Event =
            serde_json::from_str(include_str!("../../../events/dynamodb-stream-event.json")).expect("fixture");
        let image = serde_json::to_value(&event.records[0].change.new_image).expect("image");
        let item = item_of(&image).expect("an item");
        assert!(item.key.sk.starts_with("EV#"));
        assert_eq!(item.s("kind"), Some("event"));
        assert_eq!(item.n("lead_version"), Some(1));
    }
}
