//! The list of taxonomies (`GET /v1/taxonomies`).

use serde_json::Value;

use crate::helpers::spawn_app;

const NAMES: [&str; 12] = [
    "organization_kinds",
    "topics",
    "formats",
    "enrollment",
    "facilitation",
    "recovery_stages",
    "support_types",
    "cost_kinds",
    "visibilities",
    "listing_statuses",
    "event_statuses",
    "resource_kinds",
];

#[tokio::test]
async fn lists_every_taxonomy_with_labels_and_descriptions() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/v1/taxonomies", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    let body: Value = res.json().await.unwrap();
    let data = body["data"].as_array().unwrap();
    let names: Vec<&str> = data.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for n in NAMES {
        assert!(names.contains(&n), "{n} missing");
    }
    assert_eq!(names.len(), NAMES.len());
    for t in data {
        let values = t["values"].as_array().unwrap();
        assert!(!values.is_empty(), "{}", t["name"]);
        for v in values {
            for key in ["value", "label", "description"] {
                assert!(
                    !v[key].as_str().unwrap().trim().is_empty(),
                    "{} {key}",
                    t["name"]
                );
            }
        }
        // Each one is also served on its own.
        let one: Value = app
            .client
            .get(format!(
                "{}/v1/taxonomies/{}",
                app.address,
                t["name"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(&one, t);
    }
    let stages = data
        .iter()
        .find(|t| t["name"] == "recovery_stages")
        .unwrap();
    let values: Vec<&str> = stages["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            "moratorium",
            "awareness",
            "preparation",
            "rebuilding",
            "growth"
        ]
    );
}

#[tokio::test]
async fn taxonomies_and_openapi_enums_list_the_same_values() {
    let app = spawn_app().await;
    let taxonomies: Value = app
        .client
        .get(format!("{}/v1/taxonomies", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spec: Value = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for t in taxonomies["data"].as_array().unwrap() {
        let schema = t["schema"].as_str().unwrap();
        let values: Vec<&Value> = t["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["value"])
            .collect();
        let listed: Vec<&Value> = spec["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("no enum for {schema}"))
            .iter()
            .collect();
        assert_eq!(
            listed, values,
            "{} vs #/components/schemas/{schema}",
            t["name"]
        );
    }
}
