//! The OpenAPI 3.1 document, generated from the handlers' annotations.

mod refine;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    auth, calendar, changes, error, events, groups, health, organizations, resources, sync,
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
    paths(
        auth::handlers::issue_token,
        organizations::handlers::list_organizations,
        organizations::handlers::create_organization,
        organizations::handlers::get_organization,
        organizations::handlers::update_organization,
        organizations::handlers::list_clients,
        organizations::handlers::create_client,
        organizations::handlers::revoke_client,
        groups::handlers::list_groups,
        groups::handlers::create_group,
        groups::handlers::get_group,
        groups::handlers::replace_group,
        groups::handlers::update_group,
        groups::handlers::delete_group,
        resources::handlers::list_resources,
        resources::handlers::create_resource,
        resources::handlers::get_resource,
        resources::handlers::replace_resource,
        resources::handlers::update_resource,
        resources::handlers::delete_resource,
        taxonomies::list_taxonomies,
        taxonomies::get_taxonomy,
        events::handlers::list_events,
        events::handlers::create_event,
        events::handlers::get_event,
        events::handlers::replace_event,
        events::handlers::update_event,
        events::handlers::delete_event,
        groups::meetings::list_group_events,
        groups::meetings::list_group_occurrences,
        calendar::handlers::group_calendar,
        calendar::handlers::organization_calendar,
        calendar::handlers::events_calendar,
        changes::handlers::list_changes,
        sync::handlers::put_group_by_external_id,
        sync::handlers::put_event_by_external_id,
        sync::handlers::put_resource_by_external_id,
        sync::handlers::sync_groups,
        sync::handlers::sync_events,
        sync::handlers::sync_resources,
        health::healthz,
        health::readyz,
    ),
    components(schemas(
        error::Problem, error::FieldError,
        vocab::OrganizationKind, vocab::Topic, vocab::Format, vocab::Enrollment, vocab::Facilitation,
        vocab::RecoveryStage, vocab::SupportType, vocab::CostKind, vocab::Visibility, vocab::ListingStatus,
        vocab::EventStatus, vocab::ResourceKind, groups::search::GroupSort,
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
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
    refine::refine(&mut value);
    value
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
