//! Portable diesel schema, valid for both SQLite and PostgreSQL: ids are text
//! (UUID v7), timestamps are UTC `Timestamp`, multi-valued attributes live in
//! join tables.

diesel::table! {
    organizations (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        kind -> Text,
        description -> Nullable<Text>,
        website -> Nullable<Text>,
        social_links -> Text,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_public -> Bool,
        area_served -> Nullable<Text>,
        verified -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        organization_id -> Text,
        secret_hash -> Text,
        is_admin -> Bool,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    support_groups (id) {
        id -> Text,
        organization_id -> Text,
        external_id -> Nullable<Text>,
        name -> Text,
        summary -> Nullable<Text>,
        description -> Nullable<Text>,
        format -> Text,
        enrollment -> Text,
        cohort_starts_on -> Nullable<Date>,
        cohort_ends_on -> Nullable<Date>,
        facilitation -> Text,
        schedule_rrule -> Nullable<Text>,
        schedule_starts_at -> Nullable<Timestamp>,
        schedule_timezone -> Nullable<Text>,
        schedule_duration_minutes -> Nullable<Integer>,
        audience -> Text,
        cost_kind -> Text,
        cost_amount -> Nullable<Text>,
        cost_currency -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        accepting_new_members -> Bool,
        accessibility -> Nullable<Text>,
        confidentiality_policy -> Nullable<Text>,
        anonymous_participation -> Bool,
        content_notes -> Text,
        location_visibility -> Nullable<Text>,
        location_name -> Nullable<Text>,
        street_address -> Nullable<Text>,
        locality -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        online_platform -> Nullable<Text>,
        online_join_url -> Nullable<Text>,
        online_join_visibility -> Nullable<Text>,
        online_instructions -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_url -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        content_hash -> Nullable<Text>,
        search_topics -> Nullable<Text>,
        name_key -> Nullable<Text>,
        geo_lat -> Nullable<Double>,
        geo_lon -> Nullable<Double>,
        next_meeting_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_topics (group_id, topic) {
        group_id -> Text,
        topic -> Text,
    }
}

diesel::table! {
    group_languages (group_id, language) {
        group_id -> Text,
        language -> Text,
    }
}

diesel::table! {
    group_recovery_stages (group_id, stage) {
        group_id -> Text,
        stage -> Text,
    }
}

diesel::table! {
    group_support_types (group_id, support_type) {
        group_id -> Text,
        support_type -> Text,
    }
}

diesel::joinable!(api_clients -> organizations (organization_id));
diesel::joinable!(support_groups -> organizations (organization_id));
diesel::joinable!(group_topics -> support_groups (group_id));
diesel::joinable!(group_languages -> support_groups (group_id));
diesel::joinable!(group_recovery_stages -> support_groups (group_id));
diesel::joinable!(group_support_types -> support_groups (group_id));

diesel::table! {
    events (id) {
        id -> Text,
        organization_id -> Text,
        group_id -> Nullable<Text>,
        external_id -> Nullable<Text>,
        name -> Text,
        summary -> Nullable<Text>,
        description -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        timezone -> Text,
        rrule -> Nullable<Text>,
        exdates -> Text,
        first_start_utc -> Timestamp,
        last_end_utc -> Nullable<Timestamp>,
        format -> Text,
        location_visibility -> Nullable<Text>,
        location_name -> Nullable<Text>,
        street_address -> Nullable<Text>,
        locality -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        online_platform -> Nullable<Text>,
        online_join_url -> Nullable<Text>,
        online_join_visibility -> Nullable<Text>,
        online_instructions -> Nullable<Text>,
        registration_url -> Nullable<Text>,
        cost_kind -> Text,
        cost_amount -> Nullable<Text>,
        cost_currency -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        status -> Text,
        listing_status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        search_topics -> Nullable<Text>,
    }
}

diesel::table! {
    event_topics (event_id, topic) {
        event_id -> Text,
        topic -> Text,
    }
}

diesel::table! {
    resources (id) {
        id -> Text,
        organization_id -> Text,
        external_id -> Nullable<Text>,
        name -> Text,
        url -> Text,
        kind -> Text,
        summary -> Nullable<Text>,
        phone -> Nullable<Text>,
        country -> Nullable<Text>,
        crisis -> Bool,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        search_topics -> Nullable<Text>,
    }
}

diesel::table! {
    resource_topics (resource_id, topic) {
        resource_id -> Text,
        topic -> Text,
    }
}

diesel::table! {
    resource_languages (resource_id, language) {
        resource_id -> Text,
        language -> Text,
    }
}

diesel::joinable!(events -> organizations (organization_id));
diesel::joinable!(events -> support_groups (group_id));
diesel::joinable!(event_topics -> events (event_id));
diesel::joinable!(resources -> organizations (organization_id));
diesel::joinable!(resource_topics -> resources (resource_id));
diesel::joinable!(resource_languages -> resources (resource_id));

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        entity_type -> Text,
        entity_id -> Text,
        organization_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    change_horizon (id) {
        id -> Integer,
        min_seq -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (organization_id, idempotency_key) {
        organization_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        completed -> Bool,
        status_code -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    api_clients,
    support_groups,
    group_topics,
    group_languages,
    group_recovery_stages,
    group_support_types,
    events,
    event_topics,
    resources,
    resource_topics,
    resource_languages,
    changes,
    change_horizon,
    idempotency_keys,
);
