//! Sites (staff): nginx's state, load-balancer pools with live member health, the sites with
//! where their configuration stands, a form for a new site, and files Pier did not write.

pub mod access_lists;
pub mod detail;
pub mod pools;

use crate::api::sites::{adopt_config, foreign_configs, list_pools, list_sites, nginx_action, nginx_status, save_site};
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::toast::use_toasts;
use crate::format::when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::sites::{ApplyState, Location, LocationAction, NginxAction, SiteBody, SiteInput, SiteSpec, SiteView, TlsMode};
use pier_proto::ApiError;

/// A badge for where a site's configuration stands.
pub fn apply_badge(state: &ApplyState) -> impl IntoView {
    let (class, text) = match state {
        ApplyState::Live => ("badge badge-succeeded", "live"),
        ApplyState::Rejected { .. } => ("badge badge-failed", "rejected"),
        ApplyState::Disabled => ("badge", "disabled"),
    };
    view! { <span class=class>{text}</span> }
}

#[component]
pub fn SitesPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let sites = Resource::new(move || version.get(), |_| list_sites());
    view! {
        <Title text="Sites"/>
        <div class="page-head">
            <h1>"Sites"</h1>
            <p class="muted">"Websites and proxies served by nginx. Every change is tested by nginx before it goes live; a refused one changes nothing."</p>
        </div>
        <NginxCard/>
        <pools::PoolsCard on_change=reload/>
        <access_lists::AccessListsCard on_change=reload/>
        <section class="card">
            <h2>"Sites"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading sites…"</p> }>
                {move || sites.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState icon="sites" title="No sites yet" text="Add a pool, then a site below."/> }.into_any(),
                    Ok(list) => view! { <SitesTable list/> }.into_any(),
                })}
            </Transition>
        </section>
        <SiteForm on_saved=reload version/>
        <ForeignCard on_adopted=reload/>
    }
}

#[component]
fn SitesTable(list: Vec<SiteView>) -> impl IntoView {
    view! {
        <div class="table-wrap"><table class="table sites">
            <thead><tr><th scope="col">"Site"</th><th scope="col">"Names"</th><th scope="col">"State"</th><th scope="col">"Version"</th><th scope="col">"Certificate"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|s| {
                    let cert = s.certificate.clone().map(|c| format!("{}{}", c.name, c.not_after.map(|t| format!(" (until {})", when(t))).unwrap_or_default()));
                    view! {
                        <tr data-site=s.name.clone()>
                            <td><a href=format!("/sites/{}", s.id)><strong>{s.name.clone()}</strong></a>
                                {matches!(s.body, SiteBody::Raw { .. }).then(|| view! { <span class="badge">"raw"</span> })}</td>
                            <td>{s.server_names.join(" ")}</td>
                            <td>{apply_badge(&s.state)}</td>
                            <td>{s.live_version.map(|v| v.to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td>{cert.unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn NginxCard() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let status = Resource::new(move || version.get(), |_| nginx_status());
    let act = move |a: NginxAction| toasts.act(nginx_action(a), |m| m.clone(), Callback::new(move |_| version.update(|v| *v += 1)));
    view! {
        <section class="card nginx-card">
            <div class="card-head">
                <h2>"nginx"</h2>
                <div class="row-actions">
                    <button type="button" class="button small" on:click=move |_| act(NginxAction::Test)>"Test config"</button>
                    <button type="button" class="button small" on:click=move |_| act(NginxAction::Reload)>"Reload"</button>
                    <button type="button" class="button small" on:click=move |_| act(NginxAction::Restart)>"Restart"</button>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Asking nginx…"</p> }>
                {move || status.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(s) => view! {
                        <dl class="facts">
                            <dt>"State"</dt><dd data-nginx=if s.running { "running" } else { "stopped" }>{if s.running { "running" } else { "not running" }}</dd>
                            <dt>"Version"</dt><dd>{s.version.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Workers"</dt><dd>{s.workers}</dd>
                            <dt>"Connections"</dt><dd>{s.active_connections.map(|c| format!("{c} active ({} reading, {} writing, {} waiting)", s.reading.unwrap_or(0), s.writing.unwrap_or(0), s.waiting.unwrap_or(0))).unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Requests"</dt><dd>{s.requests.map(|r| r.to_string()).unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Live version"</dt><dd><code>{s.live_version.clone().unwrap_or_else(|| "none yet".into())}</code></dd>
                        </dl>
                        {s.error.map(|e| view! { <p class="muted small">{e}</p> })}
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Parses a port typed into a form.
pub fn port_of(s: &str, field: &str) -> Result<u16, ApiError> {
    s.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| ApiError::invalid(field, "A port is 1–65535."))
}

#[component]
fn SiteForm(on_saved: Callback<()>, /// Bumped when pools or sites change (the pool choice follows).
    version: RwSignal<u32>) -> impl IntoView {
    let toasts = use_toasts();
    let pools = Resource::new(move || version.get(), |_| list_pools());
    let name = RwSignal::new(String::new());
    let names = RwSignal::new(String::new());
    let http_port = RwSignal::new(String::from("80"));
    let https_port = RwSignal::new(String::from("443"));
    let pool = RwSignal::new(String::new());
    let tls = RwSignal::new(String::from("none"));
    let force_https = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let tls_mode = match tls.get_untracked().as_str() {
                "acme" => TlsMode::Acme,
                "wildcard" => TlsMode::Wildcard,
                _ => TlsMode::None,
            };
            let spec = SiteSpec {
                name: name.get_untracked().trim().to_string(),
                server_names: names.get_untracked().split([' ', ',']).filter(|n| !n.is_empty()).map(str::to_string).collect(),
                http_port: port_of(&http_port.get_untracked(), "http_port")?,
                https_port: if tls_mode == TlsMode::None { None } else { Some(port_of(&https_port.get_untracked(), "https_port")?) },
                tls_mode,
                tls: None,
                force_https: force_https.get_untracked() && tls_mode != TlsMode::None,
                hsts: false,
                http2: false,
                max_body_mib: None,
                locations: vec![Location { path: "/".into(), action: LocationAction::Proxy { pool: pool.get_untracked() }, websocket: true, headers: vec![] }],
                allow: vec![],
                deny: vec![],
                enabled: true,
                snippet: None,
                access_list: None,
                satisfy_any: false,
            };
            let input = SiteInput { name: spec.name.clone(), body: SiteBody::Typed { spec } };
            input.validate().map(|_| input)
        })();
        let input = match parsed {
            Ok(i) => i,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match save_site(None, input).await {
                Ok(s) => {
                    toasts.success(format!("Site {} is live.", s.name));
                    name.set(String::new());
                    names.set(String::new());
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"New site"</h2>
            <p class="muted small">"Proxies every path to a pool. Details (more locations, headers, access lists, snippets) are on the site's page."</p>
            <form class="inline-form" on:submit=submit novalidate=true>
                <TextField id="site-name" label="Name" value=name error field="name"/>
                <TextField id="site-names" label="Host names (space separated)" value=names error field="server_names"/>
                <TextField id="site-http" label="HTTP port" value=http_port error field="http_port"/>
                <div class="field">
                    <label for="site-pool">"Pool"</label>
                    <select id="site-pool" on:change=move |ev| pool.set(event_target_value(&ev)) prop:value=move || pool.get()>
                        <option value="">"Choose a pool"</option>
                        <Transition fallback=|| ()>
                            {move || pools.get().and_then(Result::ok).map(|list| list.into_iter().map(|p| view! { <option value=p.spec.name.clone()>{p.spec.name.clone()}</option> }).collect_view())}
                        </Transition>
                    </select>
                    {crate::components::form::field_error(error, "locations")}
                </div>
                <div class="field">
                    <label for="site-tls">"TLS"</label>
                    <select id="site-tls" on:change=move |ev| tls.set(event_target_value(&ev)) prop:value=move || tls.get()>
                        <option value="none">"None (HTTP only)"</option>
                        <option value="acme">"ACME certificate (issued for these names)"</option>
                        <option value="wildcard">"Default wildcard certificate"</option>
                    </select>
                    {crate::components::form::field_error(error, "tls_mode")}
                </div>
                <Show when=move || tls.get() != "none">
                    <TextField id="site-https" label="HTTPS port" value=https_port error field="https_port"/>
                    <label class="check"><input type="checkbox" prop:checked=move || force_https.get() on:change=move |ev| force_https.set(event_target_checked(&ev))/>" Redirect HTTP to HTTPS"</label>
                </Show>
                <button type="submit" class="button primary" disabled=move || busy.get()>{move || if busy.get() { "Applying…" } else { "Add site" }}</button>
            </form>
            {form_error(error)}
        </section>
    }
}

#[component]
fn ForeignCard(on_adopted: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let found = Resource::new(move || version.get(), |_| foreign_configs());
    let adopt = move |path: String, name: String| {
        toasts.act(adopt_config(path, name), |s| format!("Adopted as site {}.", s.name), Callback::new(move |_| {
            version.update(|v| *v += 1);
            on_adopted.run(());
        }))
    };
    view! {
        <section class="card">
            <h2>"Other nginx configuration"</h2>
            <p class="muted small">"Files Pier did not write, read-only. Adopting one makes it a raw site that goes through the same test-and-swap; the file itself is left in place."</p>
            <Transition fallback=|| view! { <p class="muted">"Looking…"</p> }>
                {move || found.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"None found."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|f| {
                        let (path, name) = (f.path.clone(), f.suggested_name.clone());
                        view! {
                            <details class="foreign">
                                <summary><code>{f.path.clone()}</code></summary>
                                <pre class="code">{f.text.clone()}</pre>
                                <button type="button" class="button small" on:click=move |_| adopt(path.clone(), name.clone())>{format!("Adopt as {}", f.suggested_name)}</button>
                            </details>
                        }
                    }).collect_view().into_any(),
                })}
            </Transition>
        </section>
    }
}
