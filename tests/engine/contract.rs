//! Holds the client's requests and the simulator's answers to Pinterest's official OpenAPI
//! description (`../shared/pinterest/openapi-v5-subset.json`): path, method, parameters,
//! required fields, enums and types. The file is not part of the project: without it the test
//! skips with a message, except under CI (`CI=true`), where it fails.

use std::path::PathBuf;

use audience_desk::identity::ListType;
use audience_desk::pinterest::{
    CustomerListUpdate, NewAudience, NewCustomerList, Operation, ShareOperation, SharedAudience,
};
use audience_desk::sim::{LogEntry, OWNED_AD_ACCOUNT, SISTER_AD_ACCOUNT};
use serde_json::Value;

fn spec() -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/pinterest/openapi-v5-subset.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the OpenAPI file is JSON")),
        Err(_) => {
            crate::common::skip(&format!("the contract needs {}", path.display()));
            None
        }
    }
}

struct Checker<'a> {
    spec: &'a Value,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn resolve<'v>(&'v self, schema: &'v Value) -> &'v Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let mut node = self.spec;
                for part in reference.trim_start_matches("#/").split('/') {
                    node = &node[part];
                }
                self.resolve(node)
            }
            None => schema,
        }
    }

    /// The properties a schema declares, through `allOf`.
    fn properties(&self, schema: &Value) -> Vec<String> {
        let schema = self.resolve(schema);
        let mut names: Vec<String> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            names.extend(self.properties(part));
        }
        names
    }

    fn check(&mut self, schema: &Value, value: &Value, at: &str, strict: bool) {
        let schema = self.resolve(schema).clone();
        // `AudienceRule.url` is typed an array of strings, but its own description (and
        // API.md) takes a string or `{operator: value}` objects (=, !=, contains,
        // not_contains): those forms are held to the description instead.
        if at.ends_with("rule.url") {
            let condition = |c: &Value| {
                c.is_string()
                    || c.as_object().is_some_and(|o| {
                        !o.is_empty()
                            && o.iter().all(|(op, v)| {
                                ["=", "!=", "contains", "not_contains"].contains(&op.as_str())
                                    && v.is_string()
                            })
                    })
            };
            let ok = match value {
                Value::Array(items) => items.iter().all(condition),
                other => condition(other),
            };
            if !ok {
                self.errors
                    .push(format!("{at}: {value} is not a url condition"));
            }
            return;
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(part, value, at, false);
        }
        if value.is_null() {
            if schema.get("nullable") != Some(&Value::Bool(true)) && schema.get("type").is_some() {
                self.errors.push(format!(
                    "{at}: null where {} is not nullable",
                    schema["type"]
                ));
            }
            return;
        }
        if let Some(kind) = schema.get("type").and_then(Value::as_str) {
            let ok = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !ok {
                self.errors.push(format!("{at}: {value} is not {kind}"));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            self.errors
                .push(format!("{at}: {value} is not one of {options:?}"));
        }
        if let (Some(text), Some("^\\d+$")) = (
            value.as_str(),
            schema.get("pattern").and_then(Value::as_str),
        ) && (text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()))
        {
            self.errors
                .push(format!("{at}: '{text}' does not match ^\\d+$"));
        }
        if let (Some(text), Some(max)) = (
            value.as_str(),
            schema.get("maxLength").and_then(Value::as_u64),
        ) && text.chars().count() as u64 > max
        {
            self.errors.push(format!("{at}: longer than {max}"));
        }
        if let Some(object) = value.as_object() {
            let required = schema
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    self.errors
                        .push(format!("{at}: required '{name}' is missing"));
                }
            }
            let declared = self.properties(&schema);
            for (name, field) in object {
                let property = schema.get("properties").and_then(|p| p.get(name)).cloned();
                match property {
                    Some(property) => self.check(&property, field, &format!("{at}.{name}"), false),
                    None if strict
                        && schema.get("discriminator").is_none()
                        && !declared.contains(name) =>
                    {
                        self.errors
                            .push(format!("{at}: '{name}' is not in the schema"));
                    }
                    None => {}
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), false);
            }
        }
    }

    /// Finds the operation for a logged request: `/v5` stripped, `{params}` matched.
    fn operation(&self, entry: &LogEntry) -> Option<(Value, Vec<(String, String)>)> {
        let path = entry.path.strip_prefix("/v5")?;
        let segments: Vec<&str> = path.split('/').collect();
        for (template, item) in self.spec["paths"].as_object()? {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut params = Vec::new();
            let fits = parts.iter().zip(&segments).all(|(t, s)| {
                if t.starts_with('{') {
                    params.push((t.trim_matches(['{', '}']).to_owned(), s.to_string()));
                    true
                } else {
                    t == s
                }
            });
            if fits {
                let operation = item.get(entry.method.to_lowercase())?.clone();
                return Some((operation, params));
            }
        }
        None
    }

    fn check_entry(&mut self, entry: &LogEntry) {
        let at = format!("{} {}", entry.method, entry.path);
        let Some((operation, path_params)) = self.operation(entry) else {
            self.errors
                .push(format!("{at}: not an operation of the OpenAPI description"));
            return;
        };
        let parameters: Vec<Value> = operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| self.resolve(p).clone())
            .collect();
        let declared = |place: &str, name: &str| {
            parameters
                .iter()
                .find(|p| p["in"] == place && p["name"] == name)
                .cloned()
        };
        for (name, value) in path_params {
            match declared("path", &name) {
                Some(p) => self.check(
                    &p["schema"],
                    &Value::String(value),
                    &format!("{at} path {name}"),
                    false,
                ),
                None => self
                    .errors
                    .push(format!("{at}: path parameter {name} undeclared")),
            }
        }
        for (name, value) in url::form_urlencoded::parse(entry.query.as_bytes()) {
            match declared("query", &name) {
                Some(p) => {
                    let typed = match p["schema"]["type"].as_str() {
                        Some("integer") => value
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(value.to_string())),
                        Some("boolean") => value
                            .parse::<bool>()
                            .map(Value::from)
                            .unwrap_or(Value::String(value.to_string())),
                        _ => Value::String(value.to_string()),
                    };
                    if let (Some(n), Some(max)) = (typed.as_i64(), p["schema"]["maximum"].as_i64())
                        && n > max
                    {
                        self.errors.push(format!("{at}: {name}={n} above {max}"));
                    }
                    self.check(&p["schema"], &typed, &format!("{at} query {name}"), false);
                }
                None => self
                    .errors
                    .push(format!("{at}: query parameter '{name}' undeclared")),
            }
        }
        if let Some(body) = &entry.request {
            let content = &operation["requestBody"]["content"];
            let schema = content
                .get("application/json")
                .or_else(|| content.get("application/x-www-form-urlencoded"))
                .map(|c| c["schema"].clone());
            match schema {
                Some(schema) => self.check(&schema, body, &format!("{at} request"), true),
                None => self
                    .errors
                    .push(format!("{at}: sends a body the operation does not take")),
            }
        }
        let status = entry.status.to_string();
        let response = operation["responses"]
            .get(&status)
            .or_else(|| operation["responses"].get("default"))
            .cloned();
        match (response, &entry.response) {
            (Some(response), Some(body)) => {
                let schema = response["content"]["application/json"]["schema"].clone();
                self.check(&schema, body, &format!("{at} answer {status}"), false);
            }
            (None, _) => self
                .errors
                .push(format!("{at}: answer {status} undocumented")),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_and_simulator_follow_the_openapi_description() {
    exercise(false).await;
}

/// The same calls against a simulator answering as release 5.28 does: the client reads 201s,
/// percentages as strings and `is_nca`, and keeps shared-in audiences apart from its own.
#[tokio::test(flavor = "multi_thread")]
async fn the_client_reads_release_5_28_answers() {
    exercise(true).await;
}

/// An answer of release 5.28 as the 5.23 description would have it: the changes its changelog
/// names (201 on create, a lookalike's percentage as a string) undone, so that everything else
/// is still held to the description.
fn as_5_23(entry: &LogEntry) -> LogEntry {
    let mut entry = entry.clone();
    if entry.status == 201 {
        entry.status = 200;
    }
    let mut fix = |audience: &mut Value| {
        if let Some(text) = audience["rule"]["percentage"].as_str() {
            audience["rule"]["percentage"] = Value::from(text.parse::<i64>().unwrap());
        }
        if let Some(first) = audience["rule"]["visitor_source_id"].get(0).cloned() {
            audience["rule"]["visitor_source_id"] = first;
        }
    };
    if let Some(body) = entry.response.as_mut() {
        match body.get_mut("items").and_then(Value::as_array_mut) {
            Some(items) => items.iter_mut().for_each(&mut fix),
            None => fix(body),
        }
    }
    entry
}

async fn exercise(release_5_28: bool) {
    let Some(spec) = spec() else { return };
    let world = crate::common::world_with(|c| c.audiences.release_5_28 = release_5_28).await;
    crate::common::connect(&world).await.unwrap();
    let client = world.core.client("EU").await.unwrap();
    let ad = OWNED_AD_ACCOUNT;
    client.user_account().await.unwrap();
    client.ad_accounts().await.unwrap();
    client.ad_account(ad).await.unwrap();
    let digest = |i: u32| audience_desk::identity::sha256(&format!("user{i}@example.com")).to_hex();
    let records = |range: std::ops::Range<u32>| range.map(digest).collect::<Vec<_>>().join(",");
    let list = client
        .create_customer_list(
            ad,
            &NewCustomerList {
                name: "Contract EMAIL".into(),
                records: records(0..150),
                list_type: ListType::Email,
            },
        )
        .await
        .unwrap()
        .value;
    for (operation_type, range) in [(Operation::Add, 150..200), (Operation::Remove, 0..10)] {
        client
            .update_customer_list(
                ad,
                &list.id,
                &CustomerListUpdate {
                    operation_type,
                    records: records(range),
                },
            )
            .await
            .unwrap();
    }
    client.customer_lists(ad).await.unwrap();
    client.customer_list(ad, &list.id).await.unwrap();
    let audience = client
        .create_audience(
            ad,
            &NewAudience::for_customer_list("Contract", &list.id, None),
        )
        .await
        .unwrap();
    client.audiences(ad).await.unwrap();
    client.audience(ad, &audience.id).await.unwrap();
    let reach = client.audience_sizing(ad, &audience.id).await.unwrap();
    assert!(reach.audience_size_lower_bound <= reach.audience_size_upper_bound);
    assert!(client.audience_sizing(ad, "999").await.is_err());
    assert_eq!(audience.status.as_deref(), Some("READY"));
    // After the upload: a lookalike (and one refused), sharing and its revoke, removal.
    let seeds = vec![audience.id.clone()];
    let lookalike = client
        .create_audience(ad, &NewAudience::lookalike("Like", &seeds, "GB", 3))
        .await
        .unwrap();
    assert!(
        client
            .create_audience(ad, &NewAudience::lookalike("Bad", &seeds, "FR", 3))
            .await
            .is_err()
    );
    for operation_type in [ShareOperation::Share, ShareOperation::Revoke] {
        let sharing = operation_type == ShareOperation::Share;
        let share = SharedAudience {
            audience_id: audience.id.clone(),
            recipient_account_ids: vec![SISTER_AD_ACCOUNT.into()],
            operation_type,
        };
        client.share_audience(ad, &share).await.unwrap();
        client.shared_accounts(ad, &audience.id).await.unwrap();
        // Shared to the sister account: among what it received, never among its own.
        let own = client.audiences(SISTER_AD_ACCOUNT).await.unwrap();
        assert!(own.iter().all(|a| a.id != audience.id));
        let received = client.received_audiences(SISTER_AD_ACCOUNT).await.unwrap();
        assert_eq!(received.iter().any(|a| a.id == audience.id), sharing);
    }
    assert_eq!(lookalike.rule.as_ref().unwrap().percentage, Some(3));
    client.remove_audience(ad, &lookalike.id).await.unwrap();
    // Audiences Pinterest builds by a rule: the tags and websites they name, one of each
    // kind (and one refused), and an UPDATE of one.
    assert!(!client.conversion_tags(ad).await.unwrap().is_empty());
    assert!(
        client
            .websites()
            .await
            .unwrap()
            .iter()
            .any(|w| w.is_verified())
    );
    let visitors = audience_desk::audiences::Visitors {
        name: "Checkout".into(),
        tag: audience_desk::sim::SHOP_TAG.into(),
        event: Some("checkout".into()),
        retention_days: Some(30),
        urls: vec![audience_desk::audiences::UrlRule::Contains(
            "/checkout".into(),
        )],
        sources: vec!["web".into()],
        ..Default::default()
    };
    let visitor = client
        .create_audience(
            ad,
            &NewAudience::by_rule("Checkout", "VISITOR", visitors.rule(), None),
        )
        .await
        .unwrap();
    assert_eq!(
        visitor.rule.as_ref().unwrap().visitor_source_id,
        Some(vec![audience_desk::sim::SHOP_TAG.to_owned()])
    );
    let engagers = audience_desk::audiences::Engagers {
        name: "Savers".into(),
        domain: audience_desk::sim::VERIFIED_DOMAIN.into(),
        engagement_type: Some("save".into()),
        retention_days: Some(90),
        ..Default::default()
    };
    client
        .create_audience(
            ad,
            &NewAudience::by_rule("Savers", "ENGAGEMENT", engagers.rule(), None),
        )
        .await
        .unwrap();
    let unverified = audience_desk::audiences::Engagers {
        domain: audience_desk::sim::UNVERIFIED_DOMAIN.into(),
        ..engagers.clone()
    };
    assert!(
        client
            .create_audience(
                ad,
                &NewAudience::by_rule("No", "ENGAGEMENT", unverified.rule(), None)
            )
            .await
            .is_err()
    );
    let mut rule = visitor.rule.clone().unwrap();
    rule.retention_days = Some(60);
    let update = audience_desk::pinterest::AudienceUpdate::update(
        Some("Checkout 60".into()),
        None,
        Some(rule),
    );
    let changed = client
        .update_audience(ad, &visitor.id, &update)
        .await
        .unwrap();
    assert_eq!(changed.rule.unwrap().retention_days, Some(60));
    // A refresh, and two refusals, so error answers are checked too.
    world.sim.expire_access_tokens();
    client.user_account().await.unwrap();
    assert!(client.customer_list(ad, "1").await.is_err());
    assert!(client.ad_account("549755885999").await.is_err());

    let log = world.sim.log();
    let mut checker = Checker {
        spec: &spec,
        errors: Vec::new(),
    };
    let operations: std::collections::BTreeSet<String> = log
        .iter()
        .filter(|e| e.path.starts_with("/v5"))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(operations.len() >= 17, "{operations:?}");
    for entry in log.iter().filter(|e| e.path.starts_with("/v5")) {
        checker.check_entry(&as_5_23(entry));
    }
    if release_5_28 {
        let created = log
            .iter()
            .filter(|e| e.method == "POST" && e.path.ends_with("/audiences") && e.status < 300);
        assert!(created.clone().count() >= 2 && created.into_iter().all(|e| e.status == 201));
    }
    assert!(checker.errors.is_empty(), "{:#?}", checker.errors);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_checker_catches_a_bad_request() {
    let Some(spec) = spec() else { return };
    let mut checker = Checker {
        spec: &spec,
        errors: Vec::new(),
    };
    let entry = LogEntry {
        method: "PATCH".into(),
        path: "/v5/ad_accounts/123/customer_lists/456".into(),
        query: String::new(),
        status: 200,
        millis: 0,
        request: Some(serde_json::json!({"operation_type": "REPLACE", "record": "x"})),
        response: None,
        request_id: None,
    };
    checker.check_entry(&entry);
    let answer = LogEntry {
        method: "GET".into(),
        path: "/v5/ad_accounts/123".into(),
        query: "page_size=500&colour=red".into(),
        status: 200,
        millis: 0,
        request: None,
        response: Some(serde_json::json!({"id": "12a", "permissions": ["KING"]})),
        request_id: None,
    };
    checker.check_entry(&answer);
    let errors = checker.errors.join("\n");
    assert!(errors.contains("'12a' does not match"), "{errors}");
    assert!(errors.contains("KING"), "{errors}");
    assert!(errors.contains("'colour' undeclared"), "{errors}");
    assert!(errors.contains("REPLACE"), "{errors}");
    assert!(errors.contains("required 'records'"), "{errors}");
    assert!(errors.contains("'record' is not in the schema"), "{errors}");
}
