//! iCalendar feeds: an organization's (`/v1/organizations/{id}/calendar.ics`)
//! and the events feed (`/v1/events.ics`), read with `helpers::ics` and
//! compared with the JSON. A group's own feed is in `groups/calendar.rs`.

mod agreement;
mod events;
mod format;
mod privacy;
