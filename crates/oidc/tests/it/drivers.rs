//! The two drivers of the login step machine: `complete_login` (blocking) and `complete_login_async` run the
//! same scenarios against the mock OP and must give equal outcomes, equal errors, equal JWKS cache states and
//! exactly the requests the scenario calls for; and `LoginFlow` driven by hand refuses to be driven out of
//! turn.

use std::cell::RefCell;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, TimeDelta, Utc};
use gatehouse_oidc::{
    AsyncHttpClient, AuthorizationRequest, Callback, ClientSecret, Error, HttpClient, HttpRequest,
    HttpResponse, JwksCache, LoginFlow, LoginOutcome, OidcConnection, PendingLogin,
    ProviderMetadata, RefetchDecision, Step, complete_login, complete_login_async,
};
use serde_json::{Map, Value, json};

use crate::mock_op::{MockOp, OpKey, Scenario, Signer, now};

/// Polls `future` to completion with a no-op waker: every client here answers at once, so a future still
/// pending after a few polls is a bug, not a wait.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the login future did not complete with an always-ready client");
}

/// The mock OP behind a log of the requests sent (`METHOD /path`), failing in transport for `fail`.
struct Recorded<'a> {
    op: &'a MockOp,
    fail: Option<&'static str>,
    log: RefCell<Vec<String>>,
}

impl HttpClient for Recorded<'_> {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let path = request.url.path().to_owned();
        self.log.borrow_mut().push(format!(
            "{} {path}",
            format!("{:?}", request.method).to_uppercase()
        ));
        if self.fail == Some(path.as_str()) {
            return Err("connection reset by peer".to_owned());
        }
        HttpClient::execute(self.op, request)
    }
}

impl AsyncHttpClient for Recorded<'_> {
    fn execute(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
        std::future::ready(HttpClient::execute(self, request))
    }
}

/// One scenario of the table.
struct Case {
    name: &'static str,
    /// Prepares the OP, the connection and the RP's key cache; returns how long after the authorization
    /// request the callback is completed.
    setup: fn(&MockOp, &mut OidcConnection, &mut JwksCache) -> TimeDelta,
    /// Rewrites the callback query the OP sent.
    query: fn(String) -> String,
    /// The path whose request fails in transport.
    fail: Option<&'static str>,
    /// The requests the flow must ask for, in order, and no more.
    requests: &'static [&'static str],
    expect: fn(&Result<Seen, Error>) -> bool,
}

/// What a login yields, minus the per-run `nonce`.
#[derive(Debug, PartialEq)]
struct Seen {
    subject: String,
    claims: Map<String, Value>,
    access_token: String,
}

fn seen(outcome: LoginOutcome) -> Seen {
    let mut claims = outcome.user.claims().clone();
    claims.remove("nonce");
    Seen {
        subject: outcome.user.subject().to_owned(),
        claims,
        access_token: outcome.tokens.access_token.secret().to_owned(),
    }
}

fn fresh_keys(op: &MockOp, _: &mut OidcConnection, jwks: &mut JwksCache) -> TimeDelta {
    *jwks = op.jwks();
    TimeDelta::zero()
}

/// The OP signs with a key published after the RP's last JWKS fetch.
fn rotate(op: &MockOp, jwks: &mut JwksCache) {
    *jwks = op.jwks();
    op.published.borrow_mut().insert(0, OpKey::rsa_b());
    op.scenario.borrow_mut().signer = Signer::Key("rsa-b");
}

const TOKEN: &str = "POST /token";
const JWKS: &str = "GET /jwks";
const USERINFO: &str = "GET /userinfo";

fn ok(result: &Result<Seen, Error>) -> bool {
    result.as_ref().is_ok_and(|seen| {
        seen.subject == "00u1ada"
            && seen.claims["name"] == json!("Ada Lovelace")
            && seen.claims["iss"] == json!(crate::mock_op::ISSUER)
    })
}

fn cases() -> Vec<Case> {
    let same = |q: String| q;
    vec![
        Case {
            name: "fresh keys: token, userinfo",
            setup: fresh_keys,
            query: same,
            fail: None,
            requests: &[TOKEN, USERINFO],
            expect: ok,
        },
        Case {
            name: "empty key cache: fetched before the ID token check",
            setup: |_, conn, jwks| {
                *jwks = JwksCache::for_connection(conn);
                TimeDelta::zero()
            },
            query: same,
            fail: None,
            requests: &[TOKEN, JWKS, USERINFO],
            expect: ok,
        },
        Case {
            name: "stale keys whose refresh fails: the keys held still verify",
            setup: |op, _, jwks| {
                op.scenario.borrow_mut().cache_control = "max-age=30";
                *jwks = op.jwks();
                // Past the max-age and the refetch cooldown (60 s).
                TimeDelta::seconds(61)
            },
            query: same,
            fail: Some("/jwks"),
            requests: &[TOKEN, JWKS, USERINFO],
            expect: ok,
        },
        Case {
            name: "unknown kid past the cooldown: one refetch, then success",
            setup: |op, _, jwks| {
                rotate(op, jwks);
                TimeDelta::seconds(61)
            },
            query: same,
            fail: None,
            requests: &[TOKEN, JWKS, USERINFO],
            expect: ok,
        },
        Case {
            name: "unknown kid inside the cooldown: refused without a fetch",
            setup: |op, _, jwks| {
                rotate(op, jwks);
                TimeDelta::zero()
            },
            query: same,
            fail: None,
            requests: &[TOKEN],
            expect: |r| matches!(r, Err(Error::UnknownKeyId { kid, refetch: RefetchDecision::CoolingDown { .. } }) if kid == "rsa-b"),
        },
        Case {
            name: "unknown kid whose refetch fails: the login fails",
            setup: |op, _, jwks| {
                rotate(op, jwks);
                TimeDelta::seconds(61)
            },
            query: same,
            fail: Some("/jwks"),
            requests: &[TOKEN, JWKS],
            expect: |r| matches!(r, Err(Error::Http { what: "jwks_uri", detail }) if detail == "connection reset by peer"),
        },
        Case {
            name: "forged kid after a refetch: one fetch, then refused",
            setup: |op, _, jwks| {
                *jwks = op.jwks();
                op.scenario.borrow_mut().kid = Some(Some("forged".into()));
                TimeDelta::seconds(61)
            },
            query: same,
            fail: None,
            requests: &[TOKEN, JWKS],
            expect: |r| matches!(r, Err(Error::UnknownKeyId { kid, .. }) if kid == "forged"),
        },
        Case {
            name: "token endpoint refuses the client",
            setup: |op, conn, jwks| {
                conn.client_secret =
                    ClientSecret::new("wrong-secret-0123456789abcdef0123456789abcdef");
                fresh_keys(op, conn, jwks)
            },
            query: same,
            fail: None,
            requests: &[TOKEN],
            expect: |r| matches!(r, Err(Error::IdpError { error, .. }) if error == "invalid_client"),
        },
        Case {
            name: "token endpoint unreachable",
            setup: fresh_keys,
            query: same,
            fail: Some("/token"),
            requests: &[TOKEN],
            expect: |r| {
                matches!(
                    r,
                    Err(Error::Http {
                        what: "token endpoint",
                        ..
                    })
                )
            },
        },
        Case {
            name: "ID token signature broken",
            setup: |op, conn, jwks| {
                op.scenario.borrow_mut().flip_signature = true;
                fresh_keys(op, conn, jwks)
            },
            query: same,
            fail: None,
            requests: &[TOKEN],
            expect: |r| matches!(r, Err(Error::BadSignature { .. })),
        },
        Case {
            name: "userinfo for another subject",
            setup: |op, conn, jwks| {
                op.scenario.borrow_mut().userinfo =
                    |u| drop(u.insert("sub".into(), json!("00u-other")));
                fresh_keys(op, conn, jwks)
            },
            query: same,
            fail: None,
            requests: &[TOKEN, USERINFO],
            expect: |r| {
                matches!(r, Err(Error::UserInfoSubjectMismatch { id_token_sub, userinfo_sub })
                    if id_token_sub == "00u1ada" && userinfo_sub == "00u-other")
            },
        },
        Case {
            name: "userinfo unreachable",
            setup: fresh_keys,
            query: same,
            fail: Some("/userinfo"),
            requests: &[TOKEN, USERINFO],
            expect: |r| {
                matches!(
                    r,
                    Err(Error::Http {
                        what: "userinfo endpoint",
                        ..
                    })
                )
            },
        },
        Case {
            name: "callback for another login: nothing sent",
            setup: fresh_keys,
            query: |q| q.replace("state=", "state=forged"),
            fail: None,
            requests: &[],
            expect: |r| matches!(r, Err(Error::StateMismatch)),
        },
        Case {
            name: "expired login: nothing sent",
            setup: |op, conn, jwks| fresh_keys(op, conn, jwks) + TimeDelta::seconds(601),
            query: same,
            fail: None,
            requests: &[],
            expect: |r| matches!(r, Err(Error::LoginExpired { ttl_secs: 600, .. })),
        },
    ]
}

/// Everything a login needs, prepared for one case against a fresh OP.
struct Prepared {
    op: MockOp,
    conn: OidcConnection,
    metadata: ProviderMetadata,
    jwks: JwksCache,
    pending: PendingLogin,
    callback: Callback,
    at: DateTime<Utc>,
}

fn prepare(case: &Case) -> Prepared {
    let op = MockOp::with(Scenario::default());
    let mut conn = MockOp::connection();
    let mut jwks = JwksCache::for_connection(&conn);
    let delay = (case.setup)(&op, &mut conn, &mut jwks);
    let metadata = op.metadata();
    let (url, pending) = AuthorizationRequest::new(&conn, &metadata)
        .build(now())
        .expect("request");
    let query = (case.query)(op.authorize(&url));
    let callback = Callback::parse(query.as_bytes()).expect("callback parses");
    Prepared {
        op,
        conn,
        metadata,
        jwks,
        pending,
        callback,
        at: now() + delay,
    }
}

/// The cache as later logins see it: the keys held, whether a refresh is due, and the refetch decision.
fn cache_state(
    jwks: &JwksCache,
    at: DateTime<Utc>,
) -> (Vec<Option<String>>, bool, RefetchDecision) {
    let kids = jwks.key_ids().map(|k| k.map(str::to_owned)).collect();
    (kids, jwks.needs_refresh(at), jwks.refetch_decision(at))
}

type Run = (
    Result<Seen, Error>,
    Vec<String>,
    (Vec<Option<String>>, bool, RefetchDecision),
);

fn run_sync(case: &Case) -> Run {
    let mut p = prepare(case);
    let http = Recorded {
        op: &p.op,
        fail: case.fail,
        log: RefCell::default(),
    };
    let (meta, pending, callback) = (&p.metadata, &p.pending, &p.callback);
    let result = complete_login(&http, &p.conn, meta, &mut p.jwks, pending, callback, p.at);
    (
        result.map(seen),
        http.log.take(),
        cache_state(&p.jwks, p.at),
    )
}

fn run_async(case: &Case) -> Run {
    let mut p = prepare(case);
    let http = Recorded {
        op: &p.op,
        fail: case.fail,
        log: RefCell::default(),
    };
    let (meta, pending, callback) = (&p.metadata, &p.pending, &p.callback);
    let login = complete_login_async(&http, &p.conn, meta, &mut p.jwks, pending, callback, p.at);
    let result = block_on(login);
    (
        result.map(seen),
        http.log.take(),
        cache_state(&p.jwks, p.at),
    )
}

/// Drives `LoginFlow` by hand, counting the steps, then checks that a finished or failed flow stays shut.
fn run_steps(case: &Case) -> Run {
    let mut p = prepare(case);
    let http = Recorded {
        op: &p.op,
        fail: case.fail,
        log: RefCell::default(),
    };
    let mut flow = LoginFlow::new(
        &p.conn,
        &p.metadata,
        &mut p.jwks,
        &p.pending,
        &p.callback,
        p.at,
    );
    let mut reply = None;
    let mut sends = 0;
    let result = loop {
        match flow.next(reply.take()) {
            Ok(Step::Send(request)) => {
                sends += 1;
                assert!(
                    sends <= case.requests.len(),
                    "{}: asked for more than {:?}",
                    case.name,
                    case.requests
                );
                reply = Some(HttpClient::execute(&http, request));
            }
            Ok(Step::Done(outcome)) => break Ok(outcome),
            Err(error) => break Err(error),
        }
    };
    for reply in [None, Some(Err("late".to_owned()))] {
        assert!(
            matches!(
                flow.next(reply),
                Err(Error::FlowOutOfOrder {
                    expected: "no call (the flow has finished)",
                    ..
                })
            ),
            "{}: a finished flow is shut",
            case.name
        );
    }
    (
        result.map(seen),
        http.log.take(),
        cache_state(&p.jwks, p.at),
    )
}

#[test]
fn sync_async_and_hand_driven_flows_agree_on_every_scenario() {
    for case in cases() {
        let sync = run_sync(&case);
        assert!((case.expect)(&sync.0), "{}: {:?}", case.name, sync.0);
        assert_eq!(sync.1, case.requests, "{}: requests sent", case.name);
        assert_eq!(
            run_async(&case),
            sync,
            "{}: async differs from sync",
            case.name
        );
        assert_eq!(
            run_steps(&case),
            sync,
            "{}: LoginFlow by hand differs",
            case.name
        );
    }
}

#[test]
fn the_flow_refuses_replies_out_of_turn() {
    let case = cases().swap_remove(0);
    let mut p = prepare(&case);
    let ok_reply = || {
        Some(Ok(HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }))
    };
    // A reply before anything was sent.
    let mut flow = LoginFlow::new(
        &p.conn,
        &p.metadata,
        &mut p.jwks,
        &p.pending,
        &p.callback,
        p.at,
    );
    let err = flow.next(ok_reply()).err();
    assert_eq!(
        err,
        Some(Error::FlowOutOfOrder {
            expected: "no reply (nothing sent yet)",
            received: "a reply"
        })
    );
    // Refused, the flow is finished: it cannot be restarted into a token request.
    assert!(matches!(flow.next(None), Err(Error::FlowOutOfOrder { .. })));

    // No reply where the token endpoint's was due.
    let mut flow = LoginFlow::new(
        &p.conn,
        &p.metadata,
        &mut p.jwks,
        &p.pending,
        &p.callback,
        p.at,
    );
    assert!(matches!(flow.next(None), Ok(Step::Send(_))));
    assert_eq!(
        flow.next(None).err(),
        Some(Error::FlowOutOfOrder {
            expected: "the token endpoint reply",
            received: "no reply"
        })
    );
    assert!(matches!(
        flow.next(ok_reply()),
        Err(Error::FlowOutOfOrder { .. })
    ));
    assert_eq!(p.op.token_requests.get(), 0, "the driver sent nothing");
}

/// A client that is `Sync` and always fails: `complete_login_async`'s future must be `Send` with it (axum
/// handlers need that), and a transport failure at the token endpoint comes back as such.
struct Offline;

impl AsyncHttpClient for Offline {
    fn execute(
        &self,
        _request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, String>> + Send {
        std::future::ready(Err("offline".to_owned()))
    }
}

fn assert_send<F: Future + Send>(future: F) -> F {
    future
}

#[test]
fn the_async_login_is_send_and_reports_transport_failures() {
    let case = cases().swap_remove(0);
    let mut p = prepare(&case);
    let login = complete_login_async(
        &Offline,
        &p.conn,
        &p.metadata,
        &mut p.jwks,
        &p.pending,
        &p.callback,
        p.at,
    );
    let result = block_on(assert_send(login));
    assert_eq!(
        result.err(),
        Some(Error::Http {
            what: "token endpoint",
            detail: "offline".to_owned()
        })
    );
}
