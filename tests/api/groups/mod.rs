//! Groups (`/v1/groups`): the list's filters and search, a group's meetings
//! (`/v1/groups/{id}/occurrences`) and its calendar
//! (`/v1/groups/{id}/calendar.ics`).

mod calendar;
mod list;
mod occurrences;
mod search;
