//! The search benchmark behind `bench/search.sh`: fills a registry with public packages, starts
//! the real server on it, and times `searchPackages` and `autoComplete` over HTTP.
//!
//! `cargo run --release --example search_bench -- sqlite|postgres [PACKAGES] [ROUNDS]`
//!
//! SQLite goes to a temporary folder; PostgreSQL to a fresh database `datapm_bench_search_<n>`
//! made next to `DATAPM_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped at the end. Packages get names, descriptions and READMEs drawn from a fixed
//! vocabulary with a skewed distribution (seeded, so every run searches the same data): a few
//! words are in most packages, most words in few. `data` is in about half of them, which is the
//! worst case for ranking.
//!
//! Prints one markdown table row per query kind: the query, how many packages match, and p50,
//! p90 and p99 of the round trip in milliseconds.

use std::time::{Duration, Instant};

use datapm_registry::app::Server;
use datapm_registry::config::{DatabaseTarget, RegistryUrl, Secret, ServerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};
use serde_json::{Value, json};

const CATALOGS: usize = 100;
const BATCH: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "sqlite".into());
    let packages: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(200), |a| a.parse())?;

    let dir = tempfile::tempdir()?;
    let (database, cleanup) = match backend.as_str() {
        "sqlite" => (
            DatabaseTarget::Sqlite {
                path: dir.path().join("registry.db"),
            },
            None,
        ),
        "postgres" => {
            let (url, admin, name) = fresh_postgres().await?;
            (DatabaseTarget::Postgres { url }, Some((admin, name)))
        }
        other => anyhow::bail!("unknown backend {other:?}: use sqlite or postgres"),
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let data_dir = dir.path().join("data");
    let config = ServerConfig {
        storage_url: format!("file://{}", data_dir.join("storage").display()),
        data_dir,
        database: database.clone(),
        registry_url: RegistryUrl::parse(&format!("http://127.0.0.1:{port}"))?,
        registry_name: "Search benchmark".into(),
        listen: ([127, 0, 0, 1], port).into(),
        jwt_key: None,
        smtp: None,
        activity_log: false,
        allow_web_crawlers: false,
    };
    let server = Server::start_on(config, listener).await?;

    let db = match &database {
        DatabaseTarget::Sqlite { path } => {
            Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await?
        }
        DatabaseTarget::Postgres { url } => Database::connect(url.expose()).await?,
    };
    let started = Instant::now();
    seed(&db, packages).await?;
    if backend == "postgres" {
        db.execute_unprepared("ANALYZE").await?;
    }
    eprintln!(
        "seeded {packages} packages in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let url = format!("http://127.0.0.1:{port}/graphql");
    let http = reqwest::Client::new();
    println!("| backend | query | matches | p50 ms | p90 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut medians = Vec::new();
    for (label, query) in QUERIES {
        let (count, times) = time_search(&http, &url, query, rounds).await?;
        let [p50, p90, p99] = percentiles(times);
        medians.push(p50);
        println!("| {backend} | {label}: `{query}` | {count} | {p50:.2} | {p90:.2} | {p99:.2} |");
    }
    for prefix in ["wea", "cat-7/", "b"] {
        let (count, times) = time_autocomplete(&http, &url, prefix, rounds).await?;
        let [p50, p90, p99] = percentiles(times);
        println!(
            "| {backend} | autoComplete: `{prefix}` | {count} shown | {p50:.2} | {p90:.2} | {p99:.2} |"
        );
    }
    medians.sort_by(f64::total_cmp);
    eprintln!(
        "median of the searchPackages medians: {:.2} ms",
        medians[medians.len() / 2]
    );

    server.shutdown().await?;
    db.close().await?;
    if let Some((admin, name)) = cleanup {
        let admin = Database::connect(admin.as_str()).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}

/// What is searched, as a person would type it.
const QUERIES: [(&str, &str); 8] = [
    ("rare word", "quorvant"),
    ("uncommon word", "weather"),
    ("common word", "data"),
    ("two words", "weather stations"),
    ("phrase", "\"daily totals\""),
    ("substring of a slug", "ravel"),
    ("catalog/package", "cat-7/sales"),
    ("everything", "%"),
];

async fn fresh_postgres() -> anyhow::Result<(Secret, String, String)> {
    let admin = std::env::var("DATAPM_TEST_DATABASE_URL").map_err(|_| {
        anyhow::anyhow!("set DATAPM_TEST_DATABASE_URL to a PostgreSQL server to benchmark on")
    })?;
    let name = format!("datapm_bench_search_{}", std::process::id());
    let conn = Database::connect(admin.as_str()).await?;
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&name);
    Ok((Secret::new(url.to_string()), admin, name))
}

/// A fixed vocabulary: a few real words that people search for, then made-up ones.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = [
        "data",
        "daily",
        "totals",
        "weather",
        "stations",
        "sales",
        "census",
        "traffic",
        "rainfall",
        "orders",
        "customers",
        "regional",
        "survey",
        "population",
        "energy",
        "prices",
        "monthly",
        "health",
        "transport",
        "schools",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect();
    let syllables = [
        "ka", "lo", "mi", "ra", "ven", "tor", "qu", "or", "van", "el", "sa", "dri", "nu", "pe",
        "gal", "ri", "zo", "te", "bla", "un",
    ];
    let mut rng = StdRng::seed_from_u64(7);
    while words.len() < 5_000 {
        let n = rng.random_range(2..=4);
        let word: String = (0..n)
            .map(|_| syllables[rng.random_range(0..syllables.len())])
            .collect();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    // One word that is in a handful of packages only.
    words.insert(4_000, "quorvant".into());
    words
}

/// A skewed pick: low indexes (the real words) far more often than high ones.
fn pick<'a>(rng: &mut StdRng, words: &'a [String]) -> &'a str {
    let u: f64 = rng.random();
    &words[((u.powi(4)) * words.len() as f64) as usize % words.len()]
}

fn sentence(rng: &mut StdRng, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| pick(rng, words))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn seed(db: &DatabaseConnection, packages: usize) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let words = vocabulary();
    let mut rng = StdRng::seed_from_u64(42);
    let txn = db.begin().await?;
    txn.execute_raw(Statement::from_string(
        backend,
        "INSERT INTO users (username, username_key, email_address, email_key, status, \
         email_verified, is_site_admin, name_is_public, location_is_public, \
         twitter_handle_is_public, github_handle_is_public, email_address_is_public, \
         website_is_public, ui_dark_mode_enabled) \
         VALUES ('bench', 'bench', 'bench@example.com', 'bench@example.com', 'ACTIVE', \
         true, false, true, false, false, false, false, false, false)",
    ))
    .await?;
    for c in 0..CATALOGS {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            param(
                backend,
                "INSERT INTO catalogs (slug, slug_key, display_name, description, is_public, \
                 unclaimed) VALUES (?, ?, ?, ?, true, false)",
            ),
            [
                format!("cat-{c}").into(),
                format!("cat-{c}").into(),
                format!("Catalog {c}").into(),
                sentence(&mut rng, &words, 8).into(),
            ],
        ))
        .await?;
    }
    let mut done = 0;
    while done < packages {
        let n = BATCH.min(packages - done);
        let mut sql = String::from(
            "INSERT INTO packages (catalog_id, slug, display_name, description, is_public, \
             readme_markdown) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(n * 5);
        for i in 0..n {
            let number = done + i;
            let slug = format!(
                "{}-{}-{number}",
                pick(&mut rng, &words),
                pick(&mut rng, &words)
            );
            let display = format!("{} {}", pick(&mut rng, &words), pick(&mut rng, &words));
            let description = sentence(&mut rng, &words, 12);
            let readme = format!("# {display}\n\n{}", sentence(&mut rng, &words, 120));
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, true, ?)");
            values.push(((number % CATALOGS) as i64 + 1).into());
            values.push(slug.into());
            values.push(display.into());
            values.push(description.into());
            values.push(readme.into());
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            param(backend, &sql),
            values,
        ))
        .await?;
        done += n;
    }
    txn.commit().await?;
    Ok(())
}

/// `?` placeholders as the backend wants them.
fn param(backend: sea_orm::DatabaseBackend, sql: &str) -> String {
    if backend != sea_orm::DatabaseBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 64);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let reply: Value = http.post(url).json(body).send().await?.json().await?;
    if reply.get("errors").is_some() {
        anyhow::bail!("the server answered with errors: {reply}");
    }
    Ok(reply)
}

async fn time_search(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    rounds: usize,
) -> anyhow::Result<(i64, Vec<Duration>)> {
    let body = json!({
        "query": "query($q: String!) { searchPackages(query: $q, offSet: 0, limit: 10) {
            count hasMore packages { identifier { catalogSlug packageSlug } displayName description }
        } }",
        "variables": { "q": query },
    });
    let first = post(http, url, &body).await?;
    let count = first["data"]["searchPackages"]["count"]
        .as_i64()
        .unwrap_or_default();
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        post(http, url, &body).await?;
        times.push(started.elapsed());
    }
    Ok((count, times))
}

async fn time_autocomplete(
    http: &reqwest::Client,
    url: &str,
    prefix: &str,
    rounds: usize,
) -> anyhow::Result<(usize, Vec<Duration>)> {
    let body = json!({
        "query": "query($s: String!) { autoComplete(startsWith: $s) {
            catalogs { identifier { catalogSlug } }
            packages { identifier { catalogSlug packageSlug } displayName }
            users { username }
        } }",
        "variables": { "s": prefix },
    });
    let first = post(http, url, &body).await?;
    let shown = ["catalogs", "packages", "users"]
        .iter()
        .map(|k| {
            first["data"]["autoComplete"][k]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        post(http, url, &body).await?;
        times.push(started.elapsed());
    }
    Ok((shown, times))
}

fn percentiles(mut times: Vec<Duration>) -> [f64; 3] {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64() * 1000.0
    };
    [at(0.5), at(0.9), at(0.99)]
}
