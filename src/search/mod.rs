//! Keyword search and the SQL that both backends share for discovery.
//! Backend-specific pieces (the full-text match and rank) sit behind one
//! function each, matched on the connection. Geography is in `crate::geo`.

use diesel::RunQueryDsl;

use crate::db::DbConnection;
use crate::error::{ApiError, FieldError};
use crate::vocab::{Topic, Vocabulary};

pub use crate::db::sql::{Bind, SqlBuilder};

/// At most this many words of `q` are searched.
const MAX_WORDS: usize = 16;
/// `q` may be at most this many characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// PostgreSQL's English stop words (`english.stop`), dropped from `q` on both
/// backends so that they find the same listings.
const STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

/// The searchable words of a `q`: letters and digits, lowercased, without
/// English stop words. Every word must match (after English stemming); the
/// last one also matches as a prefix, for type-ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct Keywords {
    words: Vec<String>,
}

impl Keywords {
    /// `None` when `q` has no searchable word (then it filters nothing).
    pub fn parse(q: &str) -> Result<Option<Keywords>, ApiError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::InvalidQuery(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            )));
        }
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .take(MAX_WORDS)
            .collect();
        Ok((!words.is_empty()).then_some(Keywords { words }))
    }

    /// The query in the backend's syntax: an FTS5 expression on SQLite, a
    /// `to_tsquery` text on PostgreSQL. Words hold only letters and digits,
    /// so neither syntax can be escaped from.
    pub fn expression(&self, pg: bool) -> String {
        let last = self.words.len() - 1;
        match pg {
            false => self
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("\"{w}\"*")
                    } else {
                        format!("\"{w}\"")
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            true => self
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("{w}:*")
                    } else {
                        w.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }
}

/// Which listing table a full-text search runs on.
#[derive(Debug, Clone, Copy)]
pub enum Indexed {
    Groups,
    Events,
    Resources,
}

impl Indexed {
    fn fts_table(self) -> &'static str {
        match self {
            Indexed::Groups => "group_fts",
            Indexed::Events => "event_fts",
            Indexed::Resources => "resource_fts",
        }
    }

    /// Column weights for SQLite's `bm25`, in the FTS table's column order.
    fn weights(self) -> &'static str {
        match self {
            Indexed::Groups | Indexed::Events => "10.0, 4.0, 1.0, 4.0, 2.0",
            Indexed::Resources => "10.0, 4.0, 4.0, 2.0",
        }
    }
}

/// The full-text part of a listing query, for a table aliased `alias`: a
/// join to add after `FROM`, a condition, and the rank expression (lower is
/// better) to order by. One function for both backends.
pub struct FullText {
    pub join: String,
    pub condition: String,
    pub rank: String,
}

pub fn full_text(b: &mut SqlBuilder, table: Indexed, alias: &str, k: &Keywords) -> FullText {
    let expr = k.expression(b.is_pg());
    let p = b.param(Bind::Text(expr));
    if b.is_pg() {
        FullText {
            join: String::new(),
            condition: format!("{alias}.search_vector @@ to_tsquery('english', {p})"),
            rank: format!("(-ts_rank({alias}.search_vector, to_tsquery('english', {p}))::float8)"),
        }
    } else {
        let fts = table.fts_table();
        FullText {
            join: format!(" JOIN {fts} ON {fts}.rowid = {alias}.search_rowid"),
            condition: format!("{fts} MATCH {p}"),
            rank: format!("bm25({fts}, {})", table.weights()),
        }
    }
}

/// Relevance tiers of a keyword search on groups, best first: every word in
/// the name (3); every word in the name, topic labels or summary (2); every
/// word somewhere, the description and the organization's name included (1).
pub const TIERS: [i64; 3] = [3, 2, 1];

/// The full-text part of a group query that keeps only the matches of one
/// relevance tier (see [`TIERS`]), for `support_groups` aliased `g`: the
/// `FROM` clause (on SQLite the full-text table comes first and drives the
/// query: probing FTS5 per group would re-run the match for every probe),
/// the condition, and the order within the tier (the order groups were
/// listed, `search_rowid`, which FTS5 walks without sorting). Reading a tier
/// stops at the page's end, so the cost no longer grows with the number of
/// matches the way scoring every match (bm25, `ts_rank`) did.
pub struct Tier {
    pub from: String,
    pub condition: String,
    pub order: String,
}

/// `tier` `None` keeps every match (for the other sorts, totals and facets).
pub fn full_text_tier(b: &mut SqlBuilder, k: &Keywords, tier: Option<i64>) -> Tier {
    if b.is_pg() {
        // `ts_filter` keeps the name's lexemes (weight A), or the name's,
        // summary's and topics' (A, B); each has its own GIN index, whose
        // statistics tell the planner how rare a tier's words are.
        let p = b.param(Bind::Text(k.expression(true)));
        let q = format!("to_tsquery('english', {p})");
        let name = format!("ts_filter(g.search_vector, '{{a}}') @@ {q}");
        let head = format!("ts_filter(g.search_vector, '{{a,b}}') @@ {q}");
        let all = format!("g.search_vector @@ {q}");
        let condition = match tier {
            None => all,
            Some(3) => name,
            Some(2) => format!("{head} AND NOT {name}"),
            Some(_) => format!("{all} AND NOT {head}"),
        };
        Tier {
            from: "support_groups g".into(),
            condition,
            order: "g.search_rowid".into(),
        }
    } else {
        let e = k.expression(false);
        let name = format!("{{name}} : ({e})");
        let head = format!("{{name summary topics}} : ({e})");
        let query = match tier {
            None => {
                // Every match, for a query driven by another index (a sort,
                // `near`) or counting: FTS5 lists the matching rowids once,
                // cheaply, and each candidate group is probed in that list.
                let p = b.param(Bind::Text(e));
                return Tier {
                    from: "support_groups g".into(),
                    condition: format!(
                        "g.search_rowid IN (SELECT rowid FROM group_fts WHERE group_fts MATCH {p})"
                    ),
                    order: "g.search_rowid".into(),
                };
            }
            Some(3) => name,
            Some(2) => format!("({head}) NOT ({name})"),
            Some(_) => format!("({e}) NOT ({head})"),
        };
        let p = b.param(Bind::Text(query));
        Tier {
            from: "group_fts CROSS JOIN support_groups g ON g.search_rowid = group_fts.rowid"
                .into(),
            condition: format!("group_fts MATCH {p}"),
            order: "group_fts.rowid".into(),
        }
    }
}

/// Vocabulary values as bound parameters.
pub fn binds<V: Vocabulary>(v: &[V]) -> impl Iterator<Item = Bind> + '_ {
    v.iter().map(|x| Bind::Text(x.as_str().to_owned()))
}

/// "Belongs to one of these organizations (ids or slugs)", for a listing
/// table aliased `alias`.
pub fn organization_condition(b: &mut SqlBuilder, alias: &str, orgs: &[String]) -> String {
    let ids = b.in_list(orgs.iter().cloned().map(Bind::Text));
    let slugs = b.in_list(orgs.iter().cloned().map(Bind::Text));
    format!(
        "{alias}.organization_id IN (SELECT id FROM organizations WHERE id {ids} OR slug {slugs})"
    )
}

/// Re-index an organization's listings after its name changed (touching
/// `search_topics` fires the full-text triggers).
pub fn reindex_organization(conn: &mut DbConnection, org: &str) -> diesel::QueryResult<()> {
    for table in ["support_groups", "events", "resources"] {
        let mut b = SqlBuilder::new(conn);
        let p = b.param(Bind::Text(org.to_owned()));
        b.push(&format!(
            "UPDATE {table} SET search_topics = search_topics WHERE organization_id = {p} AND deleted_at IS NULL"
        ));
        b.execute(conn)?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct TopicRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    topic: String,
}

/// Fill in `search_topics` of events and resources written before it
/// existed (groups get theirs from `refresh_derived`). Returns how many.
pub fn backfill_topics(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let mut n = 0;
    for (table, topics, key) in [
        ("events", "event_topics", "event_id"),
        ("resources", "resource_topics", "resource_id"),
    ] {
        let rows: Vec<TopicRow> = diesel::sql_query(format!(
            "SELECT t.{key} AS id, t.topic AS topic FROM {topics} t JOIN {table} x ON x.id = t.{key} \
             WHERE x.search_topics IS NULL ORDER BY t.{key}, t.topic"
        ))
        .load(conn)?;
        let mut by_id: std::collections::BTreeMap<String, Vec<Topic>> = Default::default();
        for r in rows {
            let t = Topic::parse(&r.topic).map_err(ApiError::internal)?;
            by_id.entry(r.id).or_default().push(t);
        }
        for (id, list) in by_id {
            let mut b = SqlBuilder::new(conn);
            let labels = b.param(Bind::Text(topic_labels(&list).unwrap_or_default()));
            let id = b.param(Bind::Text(id));
            b.push(&format!(
                "UPDATE {table} SET search_topics = {labels} WHERE id = {id}"
            ));
            b.execute(conn)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Topic labels, as the full-text index sees a listing's topics.
pub fn topic_labels(topics: &[Topic]) -> Option<String> {
    (!topics.is_empty()).then(|| {
        topics
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_stop_words_and_punctuation() {
        let k = Keywords::parse("A grief group, for widows!")
            .unwrap()
            .unwrap();
        assert_eq!(k.words, vec!["grief", "group", "widows"]);
        assert!(Keywords::parse("the of ...").unwrap().is_none());
        assert!(Keywords::parse(&"x".repeat(201)).is_err());
        let k = Keywords::parse("Ünïcode \"quote\" OR NEAR")
            .unwrap()
            .unwrap();
        assert_eq!(k.words, vec!["ünïcode", "quote", "near"]);
    }
}
