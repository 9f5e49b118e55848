//! Finding packages and catalogs by words, among those the viewer may see, best match first.
//!
//! A package matches a query when the query's words match its full-text index (stemmed words of
//! the slug, display name, description and README), when the query appears inside its slug or
//! display name, or when it appears inside `catalog/package`. A catalog matches on the words of
//! its slug, display name and description, or when its slug starts with the query. `%` alone,
//! or nothing, matches everything.
//!
//! Results come best first: an exact slug, then full-text relevance (names weigh most, then the
//! description, then the README), then matches on a substring only; ties go by slug. The indexes
//! behind this are built by the `add_search` migration: FTS5 on SQLite, `tsvector` with GIN and
//! `pg_trgm` on PostgreSQL.

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement, SimpleExpr,
    UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::packages::{self, Located};
use super::permissions::{visible_catalogs, visible_packages};
use crate::auth::Viewer;
use crate::entity::{catalog, package};
use crate::error::ApiResult;

/// One page of the packages matching `query`, best first, and how many match in all.
pub async fn packages(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    query: &str,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<Located>, u64)> {
    let terms = Terms::new(query);
    let mut found = package::Entity::find().filter(visible_packages(viewer));
    let mut matching = found.clone();
    if terms.text.is_some() {
        let backend = db.get_database_backend();
        let id = (package::Entity, package::Column::Id);
        let hits = ranked(package_hits(backend, &terms, Scoring::Ranked));
        found = join_hits(found, hits, id);
        let ids = ids(package_hits(backend, &terms, Scoring::Unranked));
        matching = matching.filter(Expr::col(id).in_subquery(ids));
    }
    let count = matching.count(db).await?;
    if let Some(text) = &terms.text {
        let slug = Expr::col((package::Entity, package::Column::Slug));
        found = found
            .order_by(Expr::expr(Func::lower(slug)).eq(text.as_str()), Order::Desc)
            .order_by(score(), Order::Asc);
    }
    // Ordering and paging run on ids alone, then the page's rows are read: sorting whole rows
    // (READMEs included) of every match costs more than finding them.
    let ids: Vec<i64> = found
        .select_only()
        .column(package::Column::Id)
        .order_by_asc(package::Column::Slug)
        .order_by_asc(package::Column::Id)
        .limit(limit)
        .offset(offset)
        .into_tuple()
        .all(db)
        .await?;
    let mut page = package::Entity::find()
        .filter(package::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    page.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok((packages::with_catalogs(db, page).await?, count))
}

/// One page of the catalogs matching `query`, best first, and how many match in all.
pub async fn catalogs(
    db: &impl ConnectionTrait,
    viewer: Option<&Viewer>,
    query: &str,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<catalog::Model>, u64)> {
    let terms = Terms::new(query);
    let mut found = catalog::Entity::find().filter(visible_catalogs(viewer));
    let mut matching = found.clone();
    if terms.text.is_some() {
        let backend = db.get_database_backend();
        let id = (catalog::Entity, catalog::Column::Id);
        let hits = ranked(catalog_hits(backend, &terms, Scoring::Ranked));
        found = join_hits(found, hits, id);
        let ids = ids(catalog_hits(backend, &terms, Scoring::Unranked));
        matching = matching.filter(Expr::col(id).in_subquery(ids));
    }
    let count = matching.count(db).await?;
    if let Some(text) = &terms.text {
        found = found
            .order_by(catalog::Column::SlugKey.eq(text.as_str()), Order::Desc)
            .order_by(score(), Order::Asc);
    }
    let page = found
        .order_by_asc(catalog::Column::SlugKey)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((page, count))
}

/// A search query, read once into the forms the indexes want.
#[derive(Debug, PartialEq)]
struct Terms {
    /// The trimmed, lower-cased query; `None` when it matches everything.
    text: Option<String>,
    /// The query in FTS5's syntax, or `None` when it has no words.
    fts5: Option<String>,
}

impl Terms {
    fn new(query: &str) -> Terms {
        let text = query.trim().to_lowercase();
        if text.is_empty() || text == "%" {
            return Terms {
                text: None,
                fts5: None,
            };
        }
        Terms {
            fts5: fts5_query(&text),
            text: Some(text),
        }
    }

    fn text(&self) -> &str {
        self.text.as_deref().unwrap_or_default()
    }

    /// `%text%` for `LIKE … ESCAPE '\'`.
    fn contains_pattern(&self) -> String {
        format!("%{}%", escape_like(self.text()))
    }

    /// `text%` for `LIKE … ESCAPE '\'`.
    fn prefix_pattern(&self) -> String {
        format!("{}%", escape_like(self.text()))
    }
}

/// Translates web-search syntax (words, `"quoted phrases"`, `or`, `-word`) into an FTS5 query
/// that cannot fail to parse: every word is quoted, so nothing the user types is an operator
/// unless meant as one.
fn fts5_query(text: &str) -> Option<String> {
    let mut all: Vec<Vec<String>> = Vec::new();
    let mut not: Vec<String> = Vec::new();
    let mut or_next = false;
    for token in web_tokens(text) {
        if token == "or" && !all.is_empty() {
            or_next = true;
            continue;
        }
        let (negated, token) = match token.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, token.as_str()),
        };
        let words: Vec<&str> = token
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            continue;
        }
        let phrase = format!("\"{}\"", words.join(" "));
        match (negated, or_next, all.last_mut()) {
            (true, _, _) => not.push(phrase),
            (false, true, Some(alternatives)) => alternatives.push(phrase),
            _ => all.push(vec![phrase]),
        }
        or_next = false;
    }
    if all.is_empty() {
        return None;
    }
    let mut query = all
        .into_iter()
        .map(|alternatives| match alternatives.len() {
            1 => alternatives.into_iter().next().unwrap_or_default(),
            _ => format!("({})", alternatives.join(" OR ")),
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    for phrase in not {
        query = format!("{query} NOT {phrase}");
    }
    Some(query)
}

/// Splits on white space, keeping a `"quoted phrase"` as one token.
fn web_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            tokens.push(part.to_owned());
        } else {
            tokens.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    tokens
}

/// A pattern made with [`escape_like`], for sea-query's `like`.
fn escaped(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

const HITS: &str = "search_hits";
const SCORE: &str = "score";

fn score() -> SimpleExpr {
    Expr::col((Alias::new(HITS), Alias::new(SCORE)))
}

/// `(id, score)` rows, lower scores better; one query per way of matching, glued with UNION ALL.
fn union(mut parts: Vec<SelectStatement>) -> SelectStatement {
    let mut first = parts.remove(0);
    for part in parts {
        first.union(UnionType::All, part);
    }
    first
}

fn hit(id: &str, score: SimpleExpr, from: &str, filter: SimpleExpr) -> SelectStatement {
    Query::select()
        .expr_as(Expr::cust(id.to_owned()), Alias::new("id"))
        .expr_as(score, Alias::new(SCORE))
        .from(Alias::new(from))
        .and_where(filter)
        .to_owned()
}

/// Whether hits carry their full-text relevance. Only ordering needs it, and computing it for
/// every match of a common word costs more than finding them, so counting goes without.
#[derive(Clone, Copy, PartialEq)]
enum Scoring {
    Ranked,
    Unranked,
}

impl Scoring {
    /// `relevance` when ranking, else the score of a substring match.
    fn score(self, backend: DatabaseBackend, relevance: SimpleExpr) -> SimpleExpr {
        match self {
            Scoring::Ranked => relevance,
            Scoring::Unranked => unranked(backend),
        }
    }
}

/// The ids of every hit, for `id IN (…)`.
fn ids(parts: Vec<SelectStatement>) -> SelectStatement {
    Query::select()
        .column(Alias::new("id"))
        .from_subquery(union(parts), Alias::new("matches"))
        .to_owned()
}

/// The best score of each matching id.
fn ranked(parts: Vec<SelectStatement>) -> SelectStatement {
    Query::select()
        .column(Alias::new("id"))
        .expr_as(Expr::cust("MIN(score)"), Alias::new(SCORE))
        .from_subquery(union(parts), Alias::new("matches"))
        .group_by_col(Alias::new("id"))
        .to_owned()
}

fn join_hits<E: EntityTrait>(
    mut found: Select<E>,
    hits: SelectStatement,
    id: (E, E::Column),
) -> Select<E> {
    QueryTrait::query(&mut found).join_subquery(
        JoinType::InnerJoin,
        hits,
        Alias::new(HITS),
        Expr::col((Alias::new(HITS), Alias::new("id"))).equals(id),
    );
    found
}

/// The score of a match on a substring only: after every full-text match.
fn unranked(backend: DatabaseBackend) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust("CAST(0 AS real)"),
        _ => Expr::cust("0.0"),
    }
}

fn like(backend: DatabaseBackend, column: &str, pattern: String) -> SimpleExpr {
    match backend {
        DatabaseBackend::Postgres => {
            // Backslash is PostgreSQL's escape character already; naming it would keep the
            // trigram index from being used.
            Expr::cust_with_values(format!("lower({column}) LIKE $1"), [pattern])
        }
        _ => Expr::cust_with_values(format!("lower({column}) LIKE ? ESCAPE '\\'"), [pattern]),
    }
}

fn package_hits(backend: DatabaseBackend, terms: &Terms, scoring: Scoring) -> Vec<SelectStatement> {
    let mut parts = Vec::new();
    let text = terms.text();
    let contains = || {
        like(backend, "slug", terms.contains_pattern()).or(like(
            backend,
            "display_name",
            terms.contains_pattern(),
        ))
    };
    match backend {
        DatabaseBackend::Postgres => {
            let query = "websearch_to_tsquery('english', $1)";
            parts.push(hit(
                "package_id",
                scoring.score(
                    backend,
                    Expr::cust_with_values(format!("-ts_rank(document, {query})"), [text]),
                ),
                "packages_fts",
                Expr::cust_with_values(format!("document @@ {query}"), [text]),
            ));
            parts.push(hit("id", unranked(backend), "packages", contains()));
        }
        _ => {
            if let Some(fts5) = &terms.fts5 {
                parts.push(hit(
                    "rowid",
                    scoring.score(
                        backend,
                        Expr::cust("bm25(packages_fts, 10.0, 10.0, 4.0, 1.0)"),
                    ),
                    "packages_fts",
                    Expr::cust_with_values("packages_fts MATCH ?", [fts5.as_str()]),
                ));
            }
            // The trigram index answers substrings of three characters or more; shorter ones
            // are rare enough to scan for.
            if text.chars().count() >= 3 {
                let phrase = format!("\"{}\"", text.replace('"', "\"\""));
                parts.push(hit(
                    "rowid",
                    unranked(backend),
                    "packages_names_fts",
                    Expr::cust_with_values("packages_names_fts MATCH ?", [phrase]),
                ));
            } else {
                parts.push(hit("id", unranked(backend), "packages", contains()));
            }
        }
    }
    // `catalog/package`: the catalog's slug ends with what comes before the slash and the
    // package's starts with what follows.
    if let Some((catalog_end, package_start)) = text.split_once('/')
        && !package_start.contains('/')
    {
        let catalogs = Query::select()
            .column(catalog::Column::Id)
            .from(catalog::Entity)
            .and_where(
                catalog::Column::SlugKey.like(escaped(format!("%{}", escape_like(catalog_end)))),
            )
            .to_owned();
        let filter = like(backend, "slug", format!("{}%", escape_like(package_start)))
            .and(Expr::col(Alias::new("catalog_id")).in_subquery(catalogs));
        parts.push(hit("id", unranked(backend), "packages", filter));
    }
    parts
}

fn catalog_hits(backend: DatabaseBackend, terms: &Terms, scoring: Scoring) -> Vec<SelectStatement> {
    let mut parts = Vec::new();
    let text = terms.text();
    let starts = Expr::col(catalog::Column::SlugKey).like(escaped(terms.prefix_pattern()));
    match backend {
        DatabaseBackend::Postgres => {
            let query = "websearch_to_tsquery('english', $1)";
            parts.push(hit(
                "catalog_id",
                scoring.score(
                    backend,
                    Expr::cust_with_values(format!("-ts_rank(document, {query})"), [text]),
                ),
                "catalogs_fts",
                Expr::cust_with_values(format!("document @@ {query}"), [text]),
            ));
        }
        _ => {
            if let Some(fts5) = &terms.fts5 {
                parts.push(hit(
                    "rowid",
                    scoring.score(backend, Expr::cust("bm25(catalogs_fts, 10.0, 10.0, 4.0)")),
                    "catalogs_fts",
                    Expr::cust_with_values("catalogs_fts MATCH ?", [fts5.as_str()]),
                ));
            }
        }
    }
    parts.push(hit("id", unranked(backend), "catalogs", starts));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_phrases_joined_with_and() {
        assert_eq!(
            fts5_query("census data"),
            Some(r#""census" AND "data""#.into())
        );
    }

    #[test]
    fn punctuation_is_never_an_operator() {
        assert_eq!(
            Terms::new(r#"us-census* (NEAR) ^col:"#).fts5,
            Some(r#""us census" AND "near" AND "col""#.into())
        );
        assert_eq!(fts5_query("*** ::"), None);
    }

    #[test]
    fn or_and_minus_follow_web_search() {
        assert_eq!(
            fts5_query("weather or climate -daily"),
            Some(r#"("weather" OR "climate") NOT "daily""#.into())
        );
        assert_eq!(fts5_query("or -x"), Some(r#""or" NOT "x""#.into()));
        assert_eq!(fts5_query("-x"), None);
    }

    #[test]
    fn quoted_phrases_stay_together() {
        assert_eq!(
            fts5_query(r#""new york" taxi"#),
            Some(r#""new york" AND "taxi""#.into())
        );
    }

    #[test]
    fn percent_alone_matches_everything() {
        assert_eq!(Terms::new(" % ").text, None);
        assert_eq!(Terms::new("").text, None);
        assert_eq!(Terms::new("50%").contains_pattern(), r"%50\%%");
    }
}
