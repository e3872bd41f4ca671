//! A small builder for the dynamic listing queries: SQL text with the
//! backend's placeholders and the values bound to them. Only parameters carry
//! values; the SQL text is made of this crate's own fragments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Date, Double, Text, Timestamp};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::db::{DbConnection, MultiBackend};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Double(f64),
    BigInt(i64),
    Timestamp(NaiveDateTime),
    Date(NaiveDate),
}

/// SQL text and its parameters, for one backend.
#[derive(Debug, Clone)]
pub struct SqlBuilder {
    pg: bool,
    pub sql: String,
    binds: Vec<Bind>,
}

impl SqlBuilder {
    pub fn new(conn: &DbConnection) -> SqlBuilder {
        let pg = matches!(conn, DbConnection::Pg(_));
        SqlBuilder {
            pg,
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    pub fn is_pg(&self) -> bool {
        self.pg
    }

    /// Bind a value; returns its placeholder.
    pub fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        // Numbered on both backends (`?N` on SQLite), so that a placeholder
        // can appear anywhere in the text, and more than once.
        if self.pg {
            format!("${}", self.binds.len())
        } else {
            format!("?{}", self.binds.len())
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// `IN (…)` over bound values.
    pub fn in_list(&mut self, values: impl IntoIterator<Item = Bind>) -> String {
        let ps: Vec<String> = values.into_iter().map(|v| self.param(v)).collect();
        format!("IN ({})", ps.join(", "))
    }

    fn query(&self) -> BoxedSqlQuery<'static, MultiBackend, diesel::query_builder::SqlQuery> {
        let mut q = diesel::sql_query(self.sql.clone()).into_boxed::<MultiBackend>();
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Double(v) => q.bind::<Double, _>(v),
                Bind::BigInt(v) => q.bind::<BigInt, _>(v),
                Bind::Timestamp(v) => q.bind::<Timestamp, _>(v),
                Bind::Date(v) => q.bind::<Date, _>(v),
            };
        }
        q
    }

    pub fn load<T>(&self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<MultiBackend> + 'static,
    {
        self.query().load(conn)
    }

    pub fn execute(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        self.query().execute(conn)
    }
}
