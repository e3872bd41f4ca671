//! Events (`/v1/events`): create, read, replace, patch and delete, tenancy,
//! bad input; their dated occurrences (`GET /v1/events?from=&to=`), repeats
//! across daylight-saving changes, UNTIL, COUNT and EXDATE.

mod daylight_saving;
mod occurrences;
mod recurrence;
mod round_trip;
mod support;
mod tenancy;
mod validation;
