//! Databases for the multi-instance tests: a shared SQLite file (always), and PostgreSQL under
//! `GATEHOUSE_INTEROP=1` — a throwaway cluster (initdb + pg_ctl from Debian's `postgresql` package) on a Unix
//! socket in a temp directory, run as `postgres` when the tests run as root, or, when
//! `GATEHOUSE_TEST_POSTGRES_URL` names a running server, a fresh database created on it.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::harness::{TempFiles, temp_prefix};

/// Where the tests' database lives; dropping it removes the files or stops the cluster.
pub(crate) struct TestDb {
    pub(crate) url: String,
    _guard: Guard,
}

enum Guard {
    Files(#[allow(dead_code)] TempFiles),
    Cluster(#[allow(dead_code)] Cluster),
    External,
}

/// A shared SQLite file.
pub(crate) fn sqlite() -> TestDb {
    let prefix = temp_prefix();
    TestDb {
        url: format!("sqlite://{}.db?mode=rwc", prefix.display()),
        _guard: Guard::Files(TempFiles(prefix)),
    }
}

/// PostgreSQL, or `None` (with a message) unless `GATEHOUSE_INTEROP=1`; under it, missing PostgreSQL fails.
pub(crate) async fn postgres() -> Option<TestDb> {
    if std::env::var("GATEHOUSE_INTEROP").as_deref() != Ok("1") {
        eprintln!(
            "skipping: set GATEHOUSE_INTEROP=1 to run the PostgreSQL tests (needs Debian's postgresql package \
             or GATEHOUSE_TEST_POSTGRES_URL)"
        );
        return None;
    }
    if let Some(url) = server_database().await {
        return Some(TestDb {
            url,
            _guard: Guard::External,
        });
    }
    let cluster = Cluster::start(N.fetch_add(1, Ordering::SeqCst));
    Some(TestDb {
        url: cluster.url(),
        _guard: Guard::Cluster(cluster),
    })
}

static N: AtomicUsize = AtomicUsize::new(0);

/// When `GATEHOUSE_TEST_POSTGRES_URL` names a PostgreSQL server (a throw-away one: databases are left behind), a
/// fresh database on it (C collation, as gatehouse-scim's ordering expects).
pub(crate) async fn server_database() -> Option<String> {
    let server = std::env::var("GATEHOUSE_TEST_POSTGRES_URL").ok()?;
    let name = format!(
        "gatehouse_it_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&server)
        .await
        .expect("GATEHOUSE_TEST_POSTGRES_URL: cannot connect");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    )))
    .execute(&pool)
    .await
    .expect("CREATE DATABASE");
    pool.close().await;
    let mut url = url::Url::parse(&server).expect("GATEHOUSE_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// A throwaway cluster, stopped and removed on drop.
pub(crate) struct Cluster {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
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

    fn start(n: usize) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                let mut bins: Vec<_> = d
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("bin"))
                    .filter(|p| p.join("initdb").exists())
                    .collect();
                bins.sort();
                bins.pop()
            })
            .expect(
                "GATEHOUSE_INTEROP=1 needs PostgreSQL server binaries (apt-get install postgresql) \
                 or GATEHOUSE_TEST_POSTGRES_URL",
            );
        let dir =
            std::env::temp_dir().join(format!("gatehouse-service-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let port = 56_000 + u16::try_from((std::process::id() as usize * 7 + n) % 4000).unwrap();
        let pg = Self {
            dir,
            bin,
            port,
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
        let opts = format!(
            "-k {} -c listen_addresses= -p {} -c fsync=off -c max_connections=100",
            pg.dir.display(),
            pg.port
        );
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
        assert!(
            ok.success(),
            "pg_ctl start failed: {}",
            std::fs::read_to_string(pg.dir.join("log")).unwrap_or_default()
        );
        pg
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}&port={}",
            self.dir.display(),
            self.port
        )
    }
}

impl Drop for Cluster {
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
