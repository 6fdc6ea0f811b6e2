//! SQL translation: nothing from the filter reaches the SQL text, placeholders match parameters, and (under
//! `GATEHOUSE_INTEROP=1`, with the `sqlite3` command-line shell) SQLite selects exactly the rows that
//! in-memory evaluation matches.

use std::io::Write as _;
use std::process::{Command, Stdio};

use gatehouse_scim::filter::AttrPath;
use gatehouse_scim::filter::parse_filter;
use gatehouse_scim::filter::sql::{Dialect, SqlParam, SqlWhere, order_by, to_sql};
use gatehouse_scim::list::{ListQuery, SortOrder};
use gatehouse_scim::resource::Resource;
use gatehouse_scim::schema::ResourceSchema;
use serde_json::{Value, json};

use crate::support::fixture;

const FILTERS: &[&str] = &[
    r#"userName eq "bjensen@example.com""#,
    r#"userName eq "BJENSEN@EXAMPLE.COM""#,
    r#"userName ne "bjensen@example.com""#,
    r#"name.familyName co "O'Malley""#,
    r#"name.familyName co "ense""#,
    r#"userName sw "J""#,
    r#"userName sw "b""#,
    r#"userName ew "example.com""#,
    r#"userName ew """#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#,
    "title pr",
    "not (title pr)",
    "title eq null",
    "title ne null",
    r#"title ne "Tour Guide""#,
    r#"not (title eq "Tour Guide")"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T06:42:34+02:00""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    r#"emails[type eq "home"].value ew "JENSEN.ORG""#,
    "emails pr",
    "not (emails pr)",
    "emails.primary eq true",
    "active eq true",
    "active eq false",
    "active ne true",
    r#"active eq "true""#,
    r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
    r#"externalId eq "701984""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName eq "JOHN SMITH""#,
    r#"employeeNumber gt "7""#,
    "age gt 30",
    "age le 30.5",
    "age eq 41",
    r#"age ne "41""#,
    r#"nickName lt "Bar""#,
    r#"addresses[type eq "work"].postalCode sw "916""#,
    r#"not (addresses[type eq "work"])"#,
    r#"tags eq "blue""#,
    r#"tags co "RE""#,
    "tags pr",
    r#"not (tags ne "blue")"#,
    r#"badges[colour eq "red"].size gt 2"#,
    r#"badges.size ge 3"#,
    "emails[primary pr]",
    r#"emails[value pr and not (type eq "work")]"#,
    r#"ims[value ew "foo.com"] and userName pr"#,
];

fn users() -> Vec<Value> {
    let mut out = vec![
        fixture("rfc7643_full_user.json"),
        fixture("rfc7643_enterprise_user.json"),
    ];
    out[1]["id"] = json!("ent-1");
    out.push(json!({"id": "u3", "userName": "jdoe@example.org", "title": "Engineer", "userType": "Intern",
        "active": false, "age": 41, "nickName": "Al", "emails": [{"value": "jdoe@example.org", "type": "work"}],
        "tags": ["Blue", "green"], "badges": [{"colour": "red", "size": 3}, {"colour": "blue", "size": 1}],
        "meta": {"resourceType": "User", "lastModified": "2011-05-13T04:42:35Z"}}));
    out.push(json!({"id": "u4", "userName": "Zed O'Malley", "name": {"familyName": "O'Malley"}, "age": 30.5,
        "title": null, "emails": [], "meta": {"resourceType": "User", "lastModified": "2011-05-13T04:42:33Z"}}));
    out.push(
        json!({"id": "u5", "userName": "éloïse@example.com", "active": "true", "age": "41", "tags": "red",
        "badges": [{"colour": "red", "size": 2}],
        "ims": [{"type": "xmpp", "value": "e@foo.com"}]}),
    );
    out
}

fn max_placeholder(sql: &str, sigil: char) -> usize {
    let mut max = 0;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == sigil {
            let mut n = String::new();
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                n.push(d);
                chars.next();
            }
            if let Ok(v) = n.parse::<usize>() {
                max = max.max(v);
            }
        }
    }
    max
}

#[test]
fn values_and_names_are_parameters() {
    let schema = ResourceSchema::user();
    for text in FILTERS {
        let f = parse_filter(text).unwrap();
        for (dialect, sigil) in [(Dialect::Sqlite, '?'), (Dialect::Postgres, '$')] {
            let SqlWhere { clause, params } =
                to_sql(&f, schema, dialect, 2).unwrap_or_else(|e| panic!("{text}: {e}"));
            for forbidden in [
                "bjensen", "Malley", "example", "Employee", "701984", "userName", "emails",
                "JENSEN", "2011", "Tour",
            ] {
                assert!(
                    !clause.contains(forbidden),
                    "{text}: {forbidden} spliced into {clause}"
                );
            }
            assert!(!params.is_empty(), "{text}");
            assert_eq!(
                max_placeholder(&clause, sigil),
                1 + params.len(),
                "{text}: {clause}"
            );
            for n in 2..2 + params.len() {
                assert!(
                    clause.contains(&format!("{sigil}{n}")),
                    "{text}: parameter {n} unused in {clause}"
                );
            }
        }
    }
}

#[test]
fn order_by_binds_names_as_parameters() {
    for by in SORTS {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let w = order_by(
                &AttrPath::parse(by).unwrap(),
                SortOrder::Descending,
                ResourceSchema::user(),
                dialect,
                3,
            );
            assert!(
                !w.clause.contains("userName") && !w.clause.contains("urn:"),
                "{}",
                w.clause
            );
            assert!(w.clause.ends_with("DESC NULLS FIRST"), "{}", w.clause);
            assert!(!w.params.is_empty());
        }
    }
}

#[test]
fn filters_that_fail_in_memory_fail_in_sql() {
    let f = parse_filter("active gt true").unwrap();
    assert!(to_sql(&f, ResourceSchema::user(), Dialect::Sqlite, 1).is_err());
}

fn sqlite_literal(p: &SqlParam) -> String {
    match p {
        SqlParam::Text(s) => format!("'{}'", s.replace('\'', "''")),
        SqlParam::Integer(i) => i.to_string(),
        SqlParam::Real(r) => format!("{r:?}"),
        SqlParam::Bool(b) => i64::from(*b).to_string(),
        other => panic!("unexpected {other:?}"),
    }
}

fn interop() -> bool {
    if std::env::var("GATEHOUSE_INTEROP").as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "skipping: set GATEHOUSE_INTEROP=1 to run SQLite and PostgreSQL against in-memory evaluation"
    );
    false
}

/// What in-memory evaluation selects, as `n:id,id` lines.
fn memory_lines(filters: &[String], users: &[Value]) -> Vec<String> {
    let schema = ResourceSchema::user();
    filters
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let f = parse_filter(text).unwrap();
            let mut ids: Vec<&str> = users
                .iter()
                .filter(|u| f.matches(u, schema))
                .map(|u| u["id"].as_str().unwrap())
                .collect();
            ids.sort_unstable();
            format!("{n}:{}", ids.join(","))
        })
        .collect()
}

fn compare(engine: &str, filters: &[String], got: &str, want: &[String]) {
    let got: Vec<&str> = got.lines().collect();
    let failures: Vec<String> = want
        .iter()
        .enumerate()
        .filter(|(n, w)| got.get(*n) != Some(&w.as_str()))
        .map(|(n, w)| format!("{}: {engine} {:?}, memory {w:?}", filters[n], got.get(n)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} differ: {failures:#?}",
        failures.len(),
        filters.len()
    );
}

/// Runs every filter through SQLite (the `sqlite3` shell) in one session; `n:ids` per filter.
fn sqlite_lines(filters: &[String], users: &[Value]) -> String {
    let schema = ResourceSchema::user();
    let mut script = String::from(
        "CREATE TABLE scim_resources (id TEXT PRIMARY KEY, resource_type TEXT NOT NULL, data TEXT NOT NULL);\n.parameter init\n",
    );
    for u in users {
        let data = u.to_string().replace('\'', "''");
        script.push_str(&format!(
            "INSERT INTO scim_resources VALUES ('{}', 'User', '{data}');\n",
            u["id"].as_str().unwrap()
        ));
    }
    for (n, text) in filters.iter().enumerate() {
        let w = to_sql(&parse_filter(text).unwrap(), schema, Dialect::Sqlite, 2).unwrap();
        // Bindings go through the shell's parameter table: `.parameter set` would unquote its arguments.
        script.push_str("DELETE FROM temp.sqlite_parameters;\nINSERT INTO temp.sqlite_parameters(key, value) VALUES ('?1', 'User');\n");
        for (i, p) in w.params.iter().enumerate() {
            script.push_str(&format!(
                "INSERT INTO temp.sqlite_parameters(key, value) VALUES ('?{}', {});\n",
                i + 2,
                sqlite_literal(p)
            ));
        }
        script.push_str(&format!(
            "SELECT '{n}:' || coalesce(group_concat(id, ','), '') FROM (SELECT r.id FROM scim_resources AS r \
             WHERE r.resource_type = ?1 AND ({}) ORDER BY r.id);\n",
            w.clause
        ));
    }
    let mut child = Command::new("sqlite3")
        .arg(":memory:")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "GATEHOUSE_INTEROP=1 needs the sqlite3 command-line shell (apt-get install sqlite3)",
        );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "sqlite3: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn sqlite_selects_what_memory_matches() {
    if !interop() {
        return;
    }
    let users = users();
    let filters: Vec<String> = FILTERS.iter().map(|f| (*f).to_owned()).collect();
    compare(
        "sqlite",
        &filters,
        &sqlite_lines(&filters, &users),
        &memory_lines(&filters, &users),
    );
}

#[test]
fn sqlite_agrees_on_generated_filters() {
    if !interop() {
        return;
    }
    let mut users = users();
    users.extend(generated_users(40));
    let filters = generated_filters(600);
    let want = memory_lines(&filters, &users);
    // The generated set must discriminate: many filters select some users but not all.
    let mut ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let all = format!(":{}", ids.join(","));
    let partial = want
        .iter()
        .filter(|l| !l.ends_with(':') && !l.ends_with(&all))
        .count();
    assert!(
        partial * 3 > want.len(),
        "only {partial} of {} filters select some but not all users",
        want.len()
    );
    compare("sqlite", &filters, &sqlite_lines(&filters, &users), &want);
}

/// Random users (fixed seed) with schema-typed values drawn from the same pools as the generated filters.
fn generated_users(n: usize) -> Vec<Value> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |k: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % k as u64).unwrap()
    };
    fn pick<'a>(r: &mut dyn FnMut(usize) -> usize, xs: &[&'a str]) -> &'a str {
        xs[r(xs.len())]
    }
    // Non-ASCII text is lower-case here: SQL `lower()` folds ASCII only (SQLite; PostgreSQL under C).
    const WORDS: &[&str] = &[
        "bjensen@example.com",
        "BJensen",
        "Example",
        "jensen.org",
        "Employee",
        "Tour Guide",
        "O'Malley",
        "é",
        "",
        "work",
        "home",
        "701984",
        "J",
        "blue",
        "red",
        "Al",
        "zed",
    ];
    const DATES: &[&str] = &[
        "2011-05-13T04:42:34Z",
        "2011-05-13T06:42:34+02:00",
        "2010-01-23T04:56:22Z",
        "2011-05-13T04:42:34.5Z",
    ];
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let mut out = Vec::new();
    for i in 0..n {
        let r = &mut rnd;
        let mut u = json!({"id": format!("g{i:02}"), "userName": format!("{}{i}", pick(r, WORDS))});
        for key in ["title", "userType", "displayName", "nickName", "externalId"] {
            if r(2) == 0 {
                u[key] = json!(pick(r, WORDS));
            }
        }
        if r(2) == 0 {
            u["active"] = json!(r(2) == 0);
        }
        if r(2) == 0 {
            let (family, given) = (pick(r, WORDS), pick(r, WORDS));
            u["name"] = json!({"familyName": family, "givenName": given});
        }
        if r(3) != 0 {
            let emails: Vec<Value> = (0..r(3) + 1)
                .map(|_| {
                    let (value, kind, primary) = (
                        pick(r, WORDS),
                        pick(r, &["work", "home", "Work"]),
                        r(3) == 0,
                    );
                    json!({"value": value, "type": kind, "primary": primary})
                })
                .collect();
            u["emails"] = Value::Array(emails);
        }
        if r(2) == 0 {
            let (modified, created) = (pick(r, DATES), pick(r, DATES));
            u["meta"] =
                json!({"resourceType": "User", "lastModified": modified, "created": created});
        }
        if r(3) == 0 {
            u["age"] = [json!(41), json!(30.5), json!(0), json!(3)][r(4)].clone();
        }
        if r(3) == 0 {
            let (a, b) = (pick(r, WORDS), pick(r, WORDS));
            u["tags"] = json!([a, b]);
        }
        if r(3) == 0 {
            let (colour, size) = (pick(r, &["red", "blue"]), r(4));
            u["badges"] = json!([{"colour": colour, "size": size}]);
        }
        if r(3) == 0 {
            let (kind, code) = (pick(r, &["work", "home"]), pick(r, &["91608", "10001"]));
            u["addresses"] = json!([{"type": kind, "postalCode": code}]);
        }
        if r(3) == 0 {
            let value = pick(r, &["e@foo.com", "x@bar.org"]);
            u["ims"] = json!([{"type": "xmpp", "value": value}]);
        }
        if r(3) == 0 {
            let (number, manager) = (pick(r, &["701984", "7", "8"]), pick(r, &["26118915", "x"]));
            u[ent] = json!({"employeeNumber": number, "manager": {"value": manager}});
        }
        out.push(u);
    }
    out
}

/// Random filters (fixed seed) over the attributes and values of `users()`, keeping those that pass
/// [`gatehouse_scim::filter::Filter::check`].
fn generated_filters(n: usize) -> Vec<String> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move |k: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % k as u64).unwrap()
    };
    const PATHS: &[&str] = &[
        "userName",
        "title",
        "userType",
        "displayName",
        "nickName",
        "name.familyName",
        "name.givenName",
        "emails.value",
        "emails.type",
        "emails.primary",
        "emails",
        "active",
        "meta.lastModified",
        "meta.created",
        "externalId",
        "id",
        "age",
        "tags",
        "badges.size",
        "badges.colour",
        "addresses.postalCode",
        "ims.value",
        "x509Certificates.value",
        "schemas",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "employeeNumber",
        "USERNAME",
        "Emails.Value",
        "groups.display",
        "phoneNumbers.type",
    ];
    const VALUES: &[&str] = &[
        r#""bjensen@example.com""#,
        r#""BJENSEN""#,
        r#""example""#,
        r#""jensen.org""#,
        r#""Employee""#,
        r#""tour guide""#,
        r#""O'Malley""#,
        r#""é""#,
        r#""""#,
        r#""work""#,
        r#""home""#,
        r#""701984""#,
        r#""J""#,
        r#""blue""#,
        r#""red""#,
        "true",
        "false",
        "null",
        "41",
        "30.5",
        "0",
        "3",
        r#""2011-05-13T04:42:34Z""#,
        r#""2011-05-13T06:42:34+02:00""#,
        r#""2010-01-23T04:56:22Z""#,
        r#""26118915""#,
        r#""Al""#,
        r#""urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    ];
    const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"];
    const VALUE_PATHS: &[(&str, &[&str])] = &[
        ("emails", &["type", "value", "primary", "display"]),
        ("addresses", &["type", "postalCode", "primary"]),
        ("badges", &["colour", "size"]),
        ("ims", &["type", "value"]),
    ];
    fn atom(rnd: &mut dyn FnMut(usize) -> usize, paths: &[&str]) -> String {
        let path = paths[rnd(paths.len())];
        let op = OPS[rnd(OPS.len())];
        if op == "pr" {
            format!("{path} pr")
        } else {
            format!("{path} {op} {}", VALUES[rnd(VALUES.len())])
        }
    }
    fn expr(rnd: &mut dyn FnMut(usize) -> usize, depth: usize) -> String {
        match if depth == 0 { rnd(5) } else { rnd(9) } {
            0..=2 => atom(rnd, PATHS),
            3 | 4 => {
                let (attr, subs) = VALUE_PATHS[rnd(VALUE_PATHS.len())];
                let inner = atom(rnd, subs);
                let inner = if rnd(3) == 0 {
                    format!("{inner} or {}", atom(rnd, subs))
                } else {
                    inner
                };
                if rnd(2) == 0 {
                    format!("{attr}[{inner}]")
                } else {
                    format!("{attr}[{inner}].{}", atom(rnd, subs))
                }
            }
            5 => format!("{} and {}", expr(rnd, depth - 1), expr(rnd, depth - 1)),
            6 => format!("({} or {})", expr(rnd, depth - 1), expr(rnd, depth - 1)),
            7 => format!("not ({})", expr(rnd, depth - 1)),
            _ => format!("{} or {}", expr(rnd, depth - 1), expr(rnd, depth - 1)),
        }
    }
    let schema = ResourceSchema::user();
    let mut out = Vec::new();
    while out.len() < n {
        let text = expr(&mut rnd, 3);
        if parse_filter(&text).is_ok_and(|f| f.check(schema).is_ok()) {
            out.push(text);
        }
    }
    out
}

/// A throwaway PostgreSQL cluster (initdb + pg_ctl from the `postgresql` package), on a Unix socket in a temp
/// directory; run as the `postgres` user when the test runs as root. Stopped on drop.
struct Postgres {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    as_postgres: bool,
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path().join("bin"))
                    .find(|p| p.join("initdb").exists())
            })
            .expect(
                "GATEHOUSE_INTEROP=1 needs PostgreSQL server binaries (apt-get install postgresql)",
            );
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("gatehouse-scim-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let pg = Self {
            dir,
            bin,
            as_postgres,
        };
        if as_postgres {
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres:"])
                    .arg(&pg.dir)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let data = pg.dir.join("data");
        let ok = pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--locale=C",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb failed");
        let opts = format!("-k {} -c listen_addresses= -p 55439", pg.dir.display());
        let ok = pg
            .command("pg_ctl")
            .args(["-w", "-D"])
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(pg.dir.join("log"))
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start failed");
        pg
    }

    fn psql(&self, script: &str) -> (String, String) {
        let mut child = self
            .command("psql")
            .args([
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-p",
                "55439",
                "-h",
            ])
            .arg(&self.dir)
            .arg("postgres")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pg_literal(p: &SqlParam) -> (&'static str, String) {
    match p {
        SqlParam::Text(s) => ("text", format!("'{}'", s.replace('\'', "''"))),
        SqlParam::Integer(i) => ("bigint", i.to_string()),
        SqlParam::Real(r) => ("double precision", format!("{r:?}")),
        SqlParam::Bool(b) => ("boolean", b.to_string()),
        other => panic!("unexpected {other:?}"),
    }
}

/// Runs every filter through a throwaway PostgreSQL in one psql session; `n:ids` per filter.
fn postgres_lines(pg: &Postgres, filters: &[String], users: &[Value]) -> String {
    let schema = ResourceSchema::user();
    let mut script = String::from(
        "CREATE TABLE scim_resources (id TEXT PRIMARY KEY, resource_type TEXT NOT NULL, data JSONB NOT NULL);\n",
    );
    for u in users {
        let data = u.to_string().replace('\'', "''");
        script.push_str(&format!(
            "INSERT INTO scim_resources VALUES ('{}', 'User', '{data}');\n",
            u["id"].as_str().unwrap()
        ));
    }
    for (n, text) in filters.iter().enumerate() {
        let w = to_sql(&parse_filter(text).unwrap(), schema, Dialect::Postgres, 2).unwrap();
        let (types, values): (Vec<_>, Vec<_>) =
            std::iter::once(pg_literal(&SqlParam::Text("User".into())))
                .chain(w.params.iter().map(pg_literal))
                .unzip();
        script.push_str(&format!(
            "PREPARE q{n}({}) AS SELECT {n} || ':' || coalesce(string_agg(r.id, ',' ORDER BY r.id), '') \
             FROM scim_resources AS r WHERE r.resource_type = $1 AND ({});\nEXECUTE q{n}({});\nDEALLOCATE q{n};\n",
            types.join(", "),
            w.clause,
            values.join(", ")
        ));
    }
    let (out, err) = pg.psql(&script);
    assert!(err.trim().is_empty(), "psql: {err}");
    out
}

#[test]
fn postgres_selects_what_memory_matches() {
    if !interop() {
        return;
    }
    let pg = Postgres::start();
    let mut users = users();
    users.extend(generated_users(40));
    let mut filters: Vec<String> = FILTERS.iter().map(|f| (*f).to_owned()).collect();
    let fixed = filters.len();
    filters.extend(generated_filters(600));
    let want = memory_lines(&filters, &users);
    let got = postgres_lines(&pg, &filters, &users);
    compare(
        "postgres",
        &filters[..fixed],
        &got.lines().take(fixed).collect::<Vec<_>>().join("\n"),
        &want[..fixed],
    );
    compare("postgres", &filters, &got, &want);
}

/// sortBy paths whose values have the schema's types in `users()` (mixed-type data sorts by storage rules).
const SORTS: &[&str] = &[
    "userName",
    "title",
    "displayName",
    "meta.lastModified",
    "meta.created",
    "emails",
    "emails.type",
    "emails.value",
    "name.familyName",
    "nickName",
    "externalId",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "ims.value",
    "name",
];

/// In-memory order (input in `id` order, as `ORDER BY …, r.id` breaks ties), as `n:id,id` lines.
fn memory_orders(users: &[Value]) -> Vec<String> {
    let mut sorted: Vec<Resource> = users
        .iter()
        .map(|u| Resource::from_value(u.clone()).unwrap())
        .collect();
    sorted.sort_by(|a, b| a.id().cmp(&b.id()));
    let mut out = Vec::new();
    for (n, by) in SORTS.iter().enumerate() {
        for (m, order) in ["ascending", "descending"].into_iter().enumerate() {
            let q = ListQuery::from_query(
                [("sortBy", *by), ("sortOrder", order)],
                100,
                gatehouse_scim::Compatibility::Strict,
            )
            .unwrap();
            let page = q.run(&sorted, ResourceSchema::user()).unwrap().to_json();
            let ids: Vec<&str> = page["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            out.push(format!("{}:{}", 2 * n + m, ids.join(",")));
        }
    }
    out
}

fn order_queries(dialect: Dialect) -> Vec<(usize, SqlWhere)> {
    let mut out = Vec::new();
    for (n, by) in SORTS.iter().enumerate() {
        for (m, order) in [SortOrder::Ascending, SortOrder::Descending]
            .into_iter()
            .enumerate()
        {
            let w = order_by(
                &AttrPath::parse(by).unwrap(),
                order,
                ResourceSchema::user(),
                dialect,
                1,
            );
            out.push((2 * n + m, w));
        }
    }
    out
}

#[test]
fn sort_orders_agree_with_memory() {
    if !interop() {
        return;
    }
    let users = users();
    let want = memory_orders(&users);
    let labels: Vec<String> = SORTS
        .iter()
        .flat_map(|s| [format!("{s} ascending"), format!("{s} descending")])
        .collect();

    let mut script = String::from(
        "CREATE TABLE scim_resources (id TEXT PRIMARY KEY, resource_type TEXT NOT NULL, data TEXT NOT NULL);\n.parameter init\n",
    );
    for u in &users {
        let data = u.to_string().replace('\'', "''");
        script.push_str(&format!(
            "INSERT INTO scim_resources VALUES ('{}', 'User', '{data}');\n",
            u["id"].as_str().unwrap()
        ));
    }
    for (n, w) in order_queries(Dialect::Sqlite) {
        script.push_str("DELETE FROM temp.sqlite_parameters;\n");
        for (i, p) in w.params.iter().enumerate() {
            script.push_str(&format!(
                "INSERT INTO temp.sqlite_parameters(key, value) VALUES ('?{}', {});\n",
                i + 1,
                sqlite_literal(p)
            ));
        }
        script.push_str(&format!(
            "SELECT '{n}:' || coalesce(group_concat(id, ','), '') FROM (SELECT r.id FROM scim_resources AS r ORDER BY {}, r.id);\n",
            w.clause
        ));
    }
    let mut child = Command::new("sqlite3")
        .arg(":memory:")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "GATEHOUSE_INTEROP=1 needs the sqlite3 command-line shell (apt-get install sqlite3)",
        );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "sqlite3: {stderr}");
    compare(
        "sqlite",
        &labels,
        &String::from_utf8_lossy(&out.stdout),
        &want,
    );

    let pg = Postgres::start();
    let mut script = String::from(
        "CREATE TABLE scim_resources (id TEXT PRIMARY KEY, resource_type TEXT NOT NULL, data JSONB NOT NULL);\n",
    );
    for u in &users {
        let data = u.to_string().replace('\'', "''");
        script.push_str(&format!(
            "INSERT INTO scim_resources VALUES ('{}', 'User', '{data}');\n",
            u["id"].as_str().unwrap()
        ));
    }
    for (n, w) in order_queries(Dialect::Postgres) {
        let (types, values): (Vec<_>, Vec<_>) = w.params.iter().map(pg_literal).unzip();
        script.push_str(&format!(
            "PREPARE o{n}({}) AS SELECT {n} || ':' || coalesce(string_agg(id, ',' ORDER BY rn), '') FROM \
             (SELECT r.id, row_number() OVER (ORDER BY {}, r.id) AS rn FROM scim_resources AS r) AS x;\n\
             EXECUTE o{n}({});\n",
            types.join(", "),
            w.clause,
            values.join(", ")
        ));
    }
    let (out, err) = pg.psql(&script);
    assert!(err.trim().is_empty(), "psql: {err}");
    compare("postgres", &labels, &out, &want);
}
