//! Load-balancer pools: members with their health live (`sites` topic), and a form for a pool
//! with an optional active health check.

use crate::api::sites::{delete_pool, list_pools, pool_health_history, save_pool};
use crate::format::when;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::live::Topic;
use pier_proto::sites::{BalanceMethod, HealthChange, HealthCheck, PoolInput, PoolMember, PoolSpec, PoolView, SitesEvent};
use pier_proto::ApiError;

fn health_badge(up: Option<bool>) -> impl IntoView {
    match up {
        Some(true) => view! { <span class="badge badge-succeeded">"up"</span> }.into_any(),
        Some(false) => view! { <span class="badge badge-failed">"down"</span> }.into_any(),
        None => view! { <span class="badge">"not checked"</span> }.into_any(),
    }
}

#[component]
pub fn PoolsCard(on_change: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let pools = Resource::new(move || version.get(), |_| list_pools());
    let reload = Callback::new(move |_| {
        version.update(|v| *v += 1);
        on_change.run(());
    });
    // A member going up or down re-reads the pools (their state is the server's).
    use_live(Topic::new("sites").expect("topic"), move |msg| {
        let health = match msg {
            LiveMsg::Data(d) => matches!(serde_json::from_value::<SitesEvent>(d), Ok(SitesEvent::Health(_))),
            LiveMsg::Resync => true,
        };
        if health {
            version.update(|v| *v += 1);
        }
    });
    // A checked member not judged yet (a pool just made): read again shortly, so the badge
    // never waits on an event that may have gone out before this page subscribed.
    Effect::new(move |_| {
        let waiting = pools.get().and_then(Result::ok).is_some_and(|l| l.iter().any(|p| p.health.is_some() && p.members.iter().any(|m| m.up.is_none())));
        if waiting {
            set_timeout(move || { version.try_update(|v| *v += 1); }, std::time::Duration::from_millis(1500));
        }
    });
    let remove = move |p: PoolView| toasts.act(delete_pool(p.id), move |_| format!("Deleted pool {}.", p.spec.name), reload);
    // The pool being edited (None: a new one), and the health history on show.
    let editing = RwSignal::new(None::<PoolView>);
    let history = RwSignal::new(None::<(String, Vec<HealthChange>)>);
    let show_history = move |p: PoolView| {
        spawn_local(async move {
            match pool_health_history(p.id).await {
                Ok(list) => history.set(Some((p.spec.name.clone(), list))),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Pools"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading pools…"</p> }>
                {move || pools.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No pools yet: a pool is the servers a site passes requests to."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table pools">
                            <thead><tr><th scope="col">"Pool"</th><th scope="col">"Method"</th><th scope="col">"Members"</th><th scope="col">"Health check"</th><th scope="col">"Used by"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let (r, e, h) = (p.clone(), p.clone(), p.clone());
                                    let method = match &p.spec.method {
                                        BalanceMethod::RoundRobin => "round robin".to_string(),
                                        BalanceMethod::LeastConn => "least connections".into(),
                                        BalanceMethod::IpHash => "client address".into(),
                                        BalanceMethod::Hash { key } => format!("hash of ${key}"),
                                    };
                                    view! {
                                        <tr data-pool=p.spec.name.clone()>
                                            <td><strong>{p.spec.name.clone()}</strong></td>
                                            <td>{method}</td>
                                            <td><ul class="plain">
                                                {p.members.iter().map(|m| view! {
                                                    <li data-member=m.member.clone() data-up=m.up.map(|u| u.to_string()).unwrap_or_default()>
                                                        <code>{m.member.clone()}</code>" "{health_badge(m.up)}
                                                        {m.message.clone().map(|t| view! { <span class="muted small">" "{t}</span> })}
                                                    </li>
                                                }).collect_view()}
                                            </ul></td>
                                            <td>{p.health.as_ref().map(|h| format!("GET {} every {} s, expect {}", h.path, h.interval_s, h.expected_status)).unwrap_or_else(|| "none".into())}</td>
                                            <td>{if p.used_by.is_empty() { "—".to_string() } else { p.used_by.join(", ") }}</td>
                                            <td class="row-actions">
                                                <button type="button" class="button small" aria-label=format!("Edit pool {}", p.spec.name) on:click=move |_| editing.set(Some(e.clone()))>"Edit"</button>
                                                <button type="button" class="button small" aria-label=format!("Health history of pool {}", p.spec.name) on:click=move |_| show_history(h.clone())>"History"</button>
                                                <button type="button" class="button small danger" aria-label=format!("Delete pool {}", p.spec.name) on:click=move |_| remove(r.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            {move || history.get().map(|(name, list)| view! {
                <div class="pool-history" data-history=name.clone()>
                    <h3>{format!("Health history of {name}")}" "<button type="button" class="button small" on:click=move |_| history.set(None)>"Close"</button></h3>
                    {if list.is_empty() {
                        view! { <p class="muted">"No member has gone down or come back yet."</p> }.into_any()
                    } else {
                        view! { <ul class="plain">
                            {list.into_iter().map(|c| view! {
                                <li><span class="muted">{when(c.at)}</span>" "<code>{c.member}</code>" "{health_badge(Some(c.up))}
                                    {c.message.map(|m| view! { <span class="muted small">" "{m}</span> })}</li>
                            }).collect_view()}
                        </ul> }.into_any()
                    }}
                </div>
            })}
            <PoolForm editing on_saved=reload/>
        </section>
    }
}

/// `host:port [weight] [backup] [max_fails=N] [fail_timeout=S]` per line.
fn members_of(text: &str) -> Result<Vec<PoolMember>, ApiError> {
    let bad = |l: &str| ApiError::invalid("members", format!("{l:?}: write host:port, then optionally a weight, 'backup', max_fails=N and fail_timeout=S."));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let addr = words.next().ok_or_else(|| bad(l))?;
            let (host, port) = addr.rsplit_once(':').ok_or_else(|| bad(l))?;
            let mut m = PoolMember { host: host.trim_matches(['[', ']']).to_string(), port: port.parse().map_err(|_| bad(l))?, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false };
            for w in words {
                match w.split_once('=') {
                    _ if w == "backup" => m.backup = true,
                    Some(("max_fails", n)) => m.max_fails = n.parse().map_err(|_| bad(l))?,
                    Some(("fail_timeout", n)) => m.fail_timeout_s = n.trim_end_matches('s').parse().map_err(|_| bad(l))?,
                    _ => m.weight = w.parse().map_err(|_| bad(l))?,
                }
            }
            Ok(m)
        })
        .collect()
}

/// A member as its form line (the reverse of `members_of`; defaults left out).
fn member_line(m: &PoolMember) -> String {
    let host = if m.host.contains(':') { format!("[{}]", m.host) } else { m.host.clone() };
    let mut line = format!("{host}:{}", m.port);
    if m.weight != 1 {
        line.push_str(&format!(" {}", m.weight));
    }
    if m.backup {
        line.push_str(" backup");
    }
    if m.max_fails != 1 {
        line.push_str(&format!(" max_fails={}", m.max_fails));
    }
    if m.fail_timeout_s != 10 {
        line.push_str(&format!(" fail_timeout={}", m.fail_timeout_s));
    }
    line
}

#[component]
fn PoolForm(editing: RwSignal<Option<PoolView>>, on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let members = RwSignal::new(String::new());
    let method = RwSignal::new(String::from("round_robin"));
    let hash_key = RwSignal::new(String::from("request_uri"));
    let check_path = RwSignal::new(String::new());
    let interval = RwSignal::new(String::from("5"));
    let expected = RwSignal::new(String::from("200"));
    let timeout = RwSignal::new(String::from("2000"));
    let fall = RwSignal::new(String::from("1"));
    let rise = RwSignal::new(String::from("1"));
    let error = RwSignal::new(None::<ApiError>);
    let reset = move || {
        editing.set(None);
        for (s, v) in [(name, ""), (members, ""), (method, "round_robin"), (hash_key, "request_uri"), (check_path, ""), (interval, "5"), (expected, "200"), (timeout, "2000"), (fall, "1"), (rise, "1")] {
            s.set(v.to_string());
        }
    };
    // Editing a pool fills the form with it.
    Effect::new(move |_| {
        if let Some(p) = editing.get() {
            name.set(p.spec.name.clone());
            members.set(p.spec.members.iter().map(member_line).collect::<Vec<_>>().join("\n"));
            let (m, key) = match &p.spec.method {
                BalanceMethod::RoundRobin => ("round_robin", None),
                BalanceMethod::LeastConn => ("least_conn", None),
                BalanceMethod::IpHash => ("ip_hash", None),
                BalanceMethod::Hash { key } => ("hash", Some(key.clone())),
            };
            method.set(m.into());
            hash_key.set(key.unwrap_or_else(|| "request_uri".into()));
            let h = p.health.clone();
            check_path.set(h.as_ref().map(|h| h.path.clone()).unwrap_or_default());
            interval.set(h.as_ref().map_or(5, |h| h.interval_s).to_string());
            expected.set(h.as_ref().map_or(200, |h| h.expected_status).to_string());
            timeout.set(h.as_ref().map_or(2000, |h| h.timeout_ms).to_string());
            fall.set(h.as_ref().map_or(1, |h| h.fall).to_string());
            rise.set(h.as_ref().map_or(1, |h| h.rise).to_string());
            error.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let path = check_path.get_untracked().trim().to_string();
            let number = |s: RwSignal<String>, what: &str| s.get_untracked().trim().parse().map_err(|_| ApiError::invalid("health", format!("The {what} is a whole number.")));
            let health = if path.is_empty() {
                None
            } else {
                Some(HealthCheck {
                    path,
                    interval_s: number(interval, "interval")?,
                    expected_status: number(expected, "expected status")? as u16,
                    timeout_ms: number(timeout, "timeout")?,
                    fall: number(fall, "fall count")? as u16,
                    rise: number(rise, "rise count")? as u16,
                })
            };
            let method = match method.get_untracked().as_str() {
                "least_conn" => BalanceMethod::LeastConn,
                "ip_hash" => BalanceMethod::IpHash,
                "hash" => BalanceMethod::Hash { key: hash_key.get_untracked().trim().trim_start_matches('$').to_string() },
                _ => BalanceMethod::RoundRobin,
            };
            let input = PoolInput { spec: PoolSpec { name: name.get_untracked().trim().to_string(), method, members: members_of(&members.get_untracked())? }, health };
            input.validate().map(|_| input)
        })();
        let input = match parsed {
            Ok(i) => i,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        let id = editing.get_untracked().map(|p| p.id);
        spawn_local(async move {
            match save_pool(id, input).await {
                Ok(p) => {
                    toasts.success(format!("Pool {} is live.", p.spec.name));
                    reset();
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h3>{move || match editing.get() { Some(p) => format!("Change pool {}", p.spec.name), None => "New pool".to_string() }}</h3>
        <form class="inline-form" on:submit=submit novalidate=true>
            <TextField id="pool-name" label="Pool name" value=name error field="name"/>
            <TextArea id="pool-members" label="Members (host:port [weight] [backup] [max_fails=N] [fail_timeout=S], one per line)" value=members error field="members" placeholder="127.0.0.1:8080"/>
            <div class="field">
                <label for="pool-method">"Method"</label>
                <select id="pool-method" on:change=move |ev| method.set(event_target_value(&ev)) prop:value=move || method.get()>
                    <option value="round_robin">"Round robin"</option>
                    <option value="least_conn">"Least connections"</option>
                    <option value="ip_hash">"Client address (sticky)"</option>
                    <option value="hash">"Hash of a variable"</option>
                </select>
            </div>
            <Show when=move || method.get() == "hash">
                <TextField id="pool-hash-key" label="Hash key (nginx variable)" value=hash_key error field="method"/>
            </Show>
            <TextField id="pool-check" label="Health check path (empty: none)" value=check_path error field="health"/>
            <TextField id="pool-interval" label="Check every (s)" value=interval error field="interval"/>
            <TextField id="pool-expected" label="Expected status" value=expected error field="expected_status"/>
            <TextField id="pool-timeout" label="Timeout (ms)" value=timeout error field="timeout_ms"/>
            <TextField id="pool-fall" label="Down after N failures" value=fall error field="fall"/>
            <TextField id="pool-rise" label="Up after N successes" value=rise error field="rise"/>
            <button type="submit" class="button primary">{move || if editing.get().is_some() { "Save pool" } else { "Add pool" }}</button>
            <Show when=move || editing.get().is_some()>
                <button type="button" class="button" on:click=move |_| reset()>"Cancel"</button>
            </Show>
        </form>
        {form_error(error)}
    }
}
