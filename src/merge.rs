//! JSON Merge Patch (RFC 7396): the patch is applied to the listing's current
//! write representation, and the result is validated like a full write.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;
use crate::extract::{from_value, is_json, RawBody};

/// Apply a merge-patch body to `current` and deserialize the result.
pub fn apply<T: Serialize + DeserializeOwned + utoipa::ToSchema + 'static>(
    current: &T,
    body: &RawBody,
) -> Result<T, ApiError> {
    if !is_json(body.content_type.as_deref()) {
        return Err(ApiError::UnsupportedMediaType(
            "send the patch as `application/merge-patch+json` (or `application/json`)".into(),
        ));
    }
    let patch: serde_json::Value = serde_json::from_slice(&body.bytes)
        .map_err(|e| ApiError::MalformedJson(format!("the body is not valid JSON: {e}")))?;
    if !patch.is_object() {
        return Err(ApiError::field(
            "body",
            "a merge patch must be a JSON object",
        ));
    }
    crate::shape::check_known_fields::<T>(&patch)?;
    let mut doc = serde_json::to_value(current).map_err(ApiError::internal)?;
    json_patch::merge(&mut doc, &patch);
    from_value(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::web::Bytes;

    #[derive(Debug, Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    struct W {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    fn body(s: &'static str) -> RawBody {
        RawBody {
            content_type: Some("application/merge-patch+json".into()),
            bytes: Bytes::from_static(s.as_bytes()),
        }
    }

    #[test]
    fn merge_semantics() {
        let cur = W {
            name: "a".into(),
            note: Some("n".into()),
        };
        assert_eq!(
            apply(&cur, &body(r#"{"name":"b"}"#)).unwrap(),
            W {
                name: "b".into(),
                note: Some("n".into())
            }
        );
        assert_eq!(
            apply(&cur, &body(r#"{"note":null}"#)).unwrap(),
            W {
                name: "a".into(),
                note: None
            }
        );
        assert!(matches!(
            apply(&cur, &body(r#"{"name":null}"#)),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            apply(&cur, &body(r#"{"nam":"x"}"#)),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            apply(&cur, &body("{")),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
