//! The OpenAPI 3.1 document, generated from the handlers' annotations.

mod problems;
mod refine;
mod rules;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::events::queries::Event;
use crate::groups::queries::Group;
use crate::listing::routes;
use crate::resources::queries::Resource;
use crate::{
    auth, calendar, changes, error, events, groups, health, listing, organizations, resources,
    taxonomies, vocab,
};

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /v1/auth/token`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Circles API",
        description = "An open directory of mental-health peer support: partner organizations publish \
support groups; anyone can find them. Reads are public; writes need a bearer token from \
`POST /v1/auth/token`. Errors are RFC 9457 problem documents with a stable `code`.",
        contact(name = "Circles maintainers", url = "https://github.com/circles-directory/circles"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    components(schemas(
        error::Problem, error::FieldError,
        vocab::OrganizationKind, vocab::Topic, vocab::Format, vocab::Enrollment, vocab::Facilitation,
        vocab::RecoveryStage, vocab::SupportType, vocab::CostKind, vocab::Visibility, vocab::ListingStatus,
        vocab::EventStatus, vocab::ResourceKind, groups::search::GroupSort, listing::sync::SyncResult,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Exchange client credentials for access tokens."),
        (name = "organizations", description = "Partner organizations, and onboarding by administrators."),
        (name = "groups", description = "Support groups: find them, and publish your own."),
        (name = "resources", description = "Links partners recommend, crisis lines first: find them, and publish your own."),
        (name = "taxonomies", description = "The closed vocabularies of the API, with labels and descriptions to show people."),
        (name = "events", description = "Dated events and their occurrences."),
        (name = "calendars", description = "iCalendar (RFC 5545) feeds to subscribe to in any calendar app."),
        (name = "sync", description = "Keep listings in step: upserts by your own ids, bulk sync, and the change feed mirrors follow."),
        (name = "operations", description = "Health probes for operators."),
    )
)]
pub struct ApiDoc;

/// The document as served at `/openapi.json` and committed in `openapi/`.
///
/// It is a JSON value rather than utoipa's types: the refinements (links in
/// particular, whose `operationId` utoipa 5 would serialize as `operation_id`)
/// do not survive a trip through them.
pub fn document() -> serde_json::Value {
    let mut value = serde_json::to_value(merged()).expect("the OpenAPI document serializes");
    routes::document::<Group>(&mut value);
    routes::document::<Event>(&mut value);
    routes::document::<Resource>(&mut value);
    problems::conditional_reads(&mut value);
    problems::rate_limits(&mut value);
    problems::standard_problems(&mut value);
    refine::refine(&mut value);
    value
}

/// Every module's operations in one document, before the refinements.
fn merged() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // Each module lists the operations it routes, next to its routes.
    for part in [
        auth::handlers::Api::openapi(),
        organizations::handlers::Api::openapi(),
        groups::handlers::Api::openapi(),
        groups::meetings::Api::openapi(),
        resources::handlers::Api::openapi(),
        taxonomies::Api::openapi(),
        events::handlers::Api::openapi(),
        calendar::handlers::Api::openapi(),
        changes::handlers::Api::openapi(),
        health::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Pretty JSON with a trailing newline, byte for byte the committed file.
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&document()).expect("the OpenAPI document serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::*;

    fn enum_of(doc: &serde_json::Value, schema: &str) -> Vec<String> {
        serde_json::from_value(doc["components"]["schemas"][schema]["enum"].clone())
            .expect("an enum schema")
    }

    fn allowed<V: Vocabulary>() -> Vec<String> {
        V::allowed().into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn every_recorded_example_names_a_schema() {
        let doc = document();
        let examples: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(refine::EXAMPLES).unwrap();
        for name in examples.keys() {
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "src/openapi/examples.json names `{name}`, which is not a schema"
            );
        }
    }

    #[test]
    fn spec_enums_are_the_wire_values() {
        let doc = document();
        assert_eq!(enum_of(&doc, "Topic"), allowed::<Topic>());
        assert_eq!(enum_of(&doc, "Format"), allowed::<Format>());
        assert_eq!(
            enum_of(&doc, "OrganizationKind"),
            allowed::<OrganizationKind>()
        );
        assert_eq!(enum_of(&doc, "RecoveryStage"), allowed::<RecoveryStage>());
        assert_eq!(enum_of(&doc, "SupportType"), allowed::<SupportType>());
        assert_eq!(enum_of(&doc, "Visibility"), allowed::<Visibility>());
    }
}
