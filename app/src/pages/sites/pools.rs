//! Load-balancer pools: members with their health live (`sites` topic), and a form for a pool
//! with an optional active health check.

use crate::api::sites::{delete_pool, list_pools, save_pool};
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pier_proto::live::Topic;
use pier_proto::sites::{BalanceMethod, HealthCheck, PoolInput, PoolMember, PoolSpec, PoolView, SitesEvent};
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
    let remove = move |p: PoolView| toasts.act(delete_pool(p.id), move |_| format!("Deleted pool {}.", p.spec.name), reload);
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
                                    let r = p.clone();
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
                                            <td><button type="button" class="button small danger" aria-label=format!("Delete pool {}", p.spec.name) on:click=move |_| remove(r.clone())>"Delete"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            <PoolForm on_saved=reload/>
        </section>
    }
}

/// `host:port [weight] [backup]` per line.
fn members_of(text: &str) -> Result<Vec<PoolMember>, ApiError> {
    let bad = |l: &str| ApiError::invalid("members", format!("{l:?}: write host:port, then optionally a weight and 'backup'."));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let addr = words.next().ok_or_else(|| bad(l))?;
            let (host, port) = addr.rsplit_once(':').ok_or_else(|| bad(l))?;
            let mut m = PoolMember { host: host.trim_matches(['[', ']']).to_string(), port: port.parse().map_err(|_| bad(l))?, weight: 1, backup: false, max_fails: 1, fail_timeout_s: 10, down: false };
            for w in words {
                match w {
                    "backup" => m.backup = true,
                    n => m.weight = n.parse().map_err(|_| bad(l))?,
                }
            }
            Ok(m)
        })
        .collect()
}

#[component]
fn PoolForm(on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let members = RwSignal::new(String::new());
    let method = RwSignal::new(String::from("round_robin"));
    let check_path = RwSignal::new(String::new());
    let interval = RwSignal::new(String::from("5"));
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let path = check_path.get_untracked().trim().to_string();
            let health = if path.is_empty() {
                None
            } else {
                let interval_s = interval.get_untracked().trim().parse().map_err(|_| ApiError::invalid("health", "The interval is a whole number of seconds."))?;
                Some(HealthCheck { path, interval_s, expected_status: 200, timeout_ms: 2000, fall: 1, rise: 1 })
            };
            let method = match method.get_untracked().as_str() {
                "least_conn" => BalanceMethod::LeastConn,
                "ip_hash" => BalanceMethod::IpHash,
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
        spawn_local(async move {
            match save_pool(None, input).await {
                Ok(p) => {
                    toasts.success(format!("Pool {} is live.", p.spec.name));
                    name.set(String::new());
                    members.set(String::new());
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h3>"New pool"</h3>
        <form class="inline-form" on:submit=submit novalidate=true>
            <TextField id="pool-name" label="Pool name" value=name error field="name"/>
            <TextArea id="pool-members" label="Members (host:port [weight] [backup], one per line)" value=members error field="members" placeholder="127.0.0.1:8080"/>
            <div class="field">
                <label for="pool-method">"Method"</label>
                <select id="pool-method" on:change=move |ev| method.set(event_target_value(&ev)) prop:value=move || method.get()>
                    <option value="round_robin">"Round robin"</option>
                    <option value="least_conn">"Least connections"</option>
                    <option value="ip_hash">"Client address (sticky)"</option>
                </select>
            </div>
            <TextField id="pool-check" label="Health check path (empty: none)" value=check_path error field="health"/>
            <TextField id="pool-interval" label="Check every (s)" value=interval error field="interval"/>
            <button type="submit" class="button primary">"Add pool"</button>
        </form>
        {form_error(error)}
    }
}
