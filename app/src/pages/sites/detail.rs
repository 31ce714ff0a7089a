//! One site: where it stands, the typed editor (or the raw text), its versions with diff and
//! restore, its logs and request figures, and enable/disable/delete.

use super::{apply_badge, port_of};
use crate::api::sites::{delete_site, get_site, list_access_lists, list_certificates, list_pools, restore_site_version, save_site, set_site_enabled, site_log, site_metrics, site_version_diff, site_versions};
use crate::components::confirm::ConfirmDialog;
use crate::components::client_only::ClientOnly;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::toast::use_toasts;
use crate::format::when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use pier_proto::sites::{ApplyState, Location, LocationAction, LogKind, SiteBody, SiteInput, SiteSpec, SiteView, TlsMode};
use pier_proto::ApiError;

#[component]
pub fn SiteDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0);
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let site = Resource::new(move || (id(), version.get()), |(id, _)| get_site(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the site…"</p> }>
            {move || site.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(s) => view! { <SiteDetail site=s reload/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn SiteDetail(site: SiteView, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let confirm_open = RwSignal::new(false);
    let (id, name) = (site.id, site.name.clone());
    let enabled = site.enabled;
    let toggle = move |_| toasts.act(set_site_enabled(id, !enabled), |s| format!("{} is {}.", s.name, if s.enabled { "enabled" } else { "disabled" }), reload);
    let site_name = name.clone();
    let navigate = use_navigate();
    let remove = Callback::new(move |_| {
        let (n, navigate) = (site_name.clone(), navigate.clone());
        spawn_local(async move {
            match delete_site(id, n).await {
                Ok(()) => {
                    toasts.success("Site deleted.");
                    navigate("/sites", Default::default());
                }
                Err(e) => toasts.error(e.message),
            }
        });
    });
    let (body, editor_name) = (site.body.clone(), name.clone());
    view! {
        <Title text=site.name.clone()/>
        <div class="page-head">
            <h1>{site.name.clone()}" "{apply_badge(&site.state)}</h1>
            <p class="muted">{site.server_names.join(" ")}{site.live_version.map(|v| format!(" · version {v} live"))}</p>
        </div>
        {match &site.state {
            ApplyState::Rejected { message, .. } => Some(view! { <div class="error-box" role="alert">"The last change was refused and is not live: "{message.clone()}</div> }),
            _ => None,
        }}
        <section class="card">
            <div class="row-actions">
                <button type="button" class="button" on:click=toggle>{if enabled { "Disable" } else { "Enable" }}</button>
                <button type="button" class="button danger" on:click=move |_| confirm_open.set(true)>"Delete site"</button>
            </div>
            {site.certificate.clone().map(|c| view! { <p>"Certificate: "<a href="/certificates">{c.name}</a>{c.not_after.map(|t| format!(", valid until {}", when(t)))}</p> })}
        </section>
        // The editor, versions, traffic and charts each read their own data: drawn once the
        // page has hydrated (see ClientOnly).
        <ClientOnly>
            {match body.clone() {
                SiteBody::Typed { spec } => view! { <TypedOrRaw id name=editor_name.clone() spec reload/> }.into_any(),
                SiteBody::Raw { text } => view! { <RawEditor id name=editor_name.clone() text reload/> }.into_any(),
            }}
            <Versions id reload/>
            <Traffic id/>
            <h2>"History"</h2>
            <crate::components::chart::MetricsPanel target=format!("site:{}", site.name) charts=crate::pages::monitoring::SITE_CHARTS.to_vec()/>
        </ClientOnly>
        <ConfirmDialog open=confirm_open title=format!("Delete {name}?") message="nginx stops serving it at once; its history goes with it."
            confirm_text=name.clone() action_label="Delete site" on_confirm=remove/>
    }
}

/// A location as its form row holds it.
#[derive(Clone)]
struct LocRow {
    path: RwSignal<String>,
    kind: RwSignal<String>,
    target: RwSignal<String>,
    websocket: RwSignal<bool>,
    headers: RwSignal<String>,
}

impl LocRow {
    fn of(l: &Location) -> Self {
        let (kind, target) = match &l.action {
            LocationAction::Proxy { pool } => ("proxy", pool.clone()),
            LocationAction::Static { root } => ("static", root.clone()),
            LocationAction::Redirect { to, code } => ("redirect", format!("{code} {to}")),
            LocationAction::Status { code, body } => ("status", format!("{code} {}", body.clone().unwrap_or_default()).trim().to_string()),
        };
        let headers = l.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join("\n");
        LocRow { path: RwSignal::new(l.path.clone()), kind: RwSignal::new(kind.into()), target: RwSignal::new(target), websocket: RwSignal::new(l.websocket), headers: RwSignal::new(headers) }
    }

    fn location(&self) -> Result<Location, ApiError> {
        let target = self.target.get_untracked().trim().to_string();
        let code_and = |t: &str| -> Result<(u16, String), ApiError> {
            let (c, rest) = t.split_once(' ').unwrap_or((t, ""));
            Ok((c.parse().map_err(|_| ApiError::invalid("locations", "Start with the status code, like 301 https://example.com/ or 404 Not here."))?, rest.trim().to_string()))
        };
        let action = match self.kind.get_untracked().as_str() {
            "static" => LocationAction::Static { root: target },
            "redirect" => {
                let (code, to) = code_and(&target)?;
                LocationAction::Redirect { to, code }
            }
            "status" => {
                let (code, body) = code_and(&target)?;
                LocationAction::Status { code, body: (!body.is_empty()).then_some(body) }
            }
            _ => LocationAction::Proxy { pool: target },
        };
        let headers = self
            .headers
            .get_untracked()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())).ok_or_else(|| ApiError::invalid("headers", "Write headers as Name: value, one per line.")))
            .collect::<Result<_, _>>()?;
        Ok(Location { path: self.path.get_untracked().trim().to_string(), action, websocket: self.websocket.get_untracked(), headers })
    }
}

fn list_of(s: &str) -> Vec<String> {
    s.split([' ', ',', '\n']).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

#[component]
fn TypedEditor(id: i64, spec: SiteSpec, reload: Callback<()>) -> impl IntoView {
    let pools = Resource::new(|| (), |_| list_pools());
    let certs = Resource::new(|| (), |_| list_certificates());
    let lists = Resource::new(|| (), |_| list_access_lists());
    let access_list = RwSignal::new(spec.access_list.clone().unwrap_or_default());
    // The site's own certificate and list are options from the start (so the select shows
    // them when the page hydrates); the others join as their lists arrive.
    let (current_tls, current_list) = (spec.tls_mode, spec.access_list.clone());
    let other_list = current_list.clone();
    let satisfy_any = RwSignal::new(spec.satisfy_any);
    let names = RwSignal::new(spec.server_names.join(" "));
    let http_port = RwSignal::new(spec.http_port.to_string());
    let https_port = RwSignal::new(spec.https_port.map(|p| p.to_string()).unwrap_or_else(|| "443".into()));
    let tls = RwSignal::new(match spec.tls_mode {
        TlsMode::None => "none".to_string(),
        TlsMode::Acme => "acme".into(),
        TlsMode::Wildcard => "wildcard".into(),
        TlsMode::Certificate { id } => format!("cert:{id}"),
    });
    let force_https = RwSignal::new(spec.force_https);
    let hsts = RwSignal::new(spec.hsts);
    let http2 = RwSignal::new(spec.http2);
    let max_body = RwSignal::new(spec.max_body_mib.map(|m| m.to_string()).unwrap_or_default());
    let allow = RwSignal::new(spec.allow.join(" "));
    let deny = RwSignal::new(spec.deny.join(" "));
    let snippet = RwSignal::new(spec.snippet.clone().unwrap_or_default());
    let rows = RwSignal::new(spec.locations.iter().map(LocRow::of).collect::<Vec<_>>());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let (name, enabled) = (spec.name.clone(), spec.enabled);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = name.clone();
        let parsed = (|| {
            let tls_mode = match tls.get_untracked().as_str() {
                "none" => TlsMode::None,
                "acme" => TlsMode::Acme,
                "wildcard" => TlsMode::Wildcard,
                other => TlsMode::Certificate { id: other.trim_start_matches("cert:").parse().map_err(|_| ApiError::invalid("tls_mode", "Choose a certificate."))? },
            };
            let tls_on = tls_mode != TlsMode::None;
            let spec = SiteSpec {
                name: name.clone(),
                server_names: list_of(&names.get_untracked()),
                http_port: port_of(&http_port.get_untracked(), "http_port")?,
                https_port: if tls_on { Some(port_of(&https_port.get_untracked(), "https_port")?) } else { None },
                tls_mode,
                tls: None,
                force_https: tls_on && force_https.get_untracked(),
                hsts: tls_on && hsts.get_untracked(),
                http2: tls_on && http2.get_untracked(),
                max_body_mib: match max_body.get_untracked().trim() {
                    "" => None,
                    m => Some(m.parse().map_err(|_| ApiError::invalid("max_body_mib", "A whole number of MiB."))?),
                },
                locations: rows.get_untracked().iter().map(LocRow::location).collect::<Result<_, _>>()?,
                allow: list_of(&allow.get_untracked()),
                deny: list_of(&deny.get_untracked()),
                enabled,
                snippet: Some(snippet.get_untracked()).filter(|s| !s.trim().is_empty()),
                access_list: Some(access_list.get_untracked()).filter(|l| !l.is_empty()),
                satisfy_any: satisfy_any.get_untracked(),
            };
            let input = SiteInput { name: name.clone(), body: SiteBody::Typed { spec } };
            input.validate().map(|_| input)
        })();
        let input = match parsed {
            Ok(i) => i,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        apply_change(id, input, error, busy, reload);
    };
    let add_row = move |_| rows.update(|r| r.push(LocRow::of(&Location { path: "/new/".into(), action: LocationAction::Status { code: 404, body: None }, websocket: false, headers: vec![] })));
    view! {
        <section class="card">
            <h2>"Configuration"</h2>
            <form class="site-form" on:submit=submit novalidate=true>
                <div class="inline-form">
                    <TextField id="edit-names" label="Host names" value=names error field="server_names"/>
                    <TextField id="edit-http" label="HTTP port" value=http_port error field="http_port"/>
                    <div class="field">
                        <label for="edit-tls">"TLS"</label>
                        <select id="edit-tls" on:change=move |ev| tls.set(event_target_value(&ev)) prop:value=move || tls.get()>
                            <option value="none">"None (HTTP only)"</option>
                            <option value="acme">"ACME certificate"</option>
                            <option value="wildcard">"Default wildcard certificate"</option>
                            {spec_cert_option(spec.tls_mode)}
                            <Transition fallback=|| ()>
                                {move || certs.get().and_then(Result::ok).map(|l| l.into_iter()
                                    .filter(|c| c.status == "valid" && TlsMode::Certificate { id: c.id } != current_tls)
                                    .map(|c| view! { <option value=format!("cert:{}", c.id)>{format!("Certificate {} ({})", c.name, c.names.join(", "))}</option> })
                                    .collect_view())}
                            </Transition>
                        </select>
                        {crate::components::form::field_error(error, "tls_mode")}
                    </div>
                    <TextField id="edit-https" label="HTTPS port" value=https_port error field="https_port"/>
                    <TextField id="edit-body" label="Largest upload (MiB)" value=max_body error field="max_body_mib"/>
                </div>
                <div class="checks">
                    <label class="check"><input type="checkbox" prop:checked=move || force_https.get() on:change=move |ev| force_https.set(event_target_checked(&ev))/>" Redirect HTTP to HTTPS"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || hsts.get() on:change=move |ev| hsts.set(event_target_checked(&ev))/>" HSTS"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || http2.get() on:change=move |ev| http2.set(event_target_checked(&ev))/>" HTTP/2"</label>
                </div>
                <h3>"Locations"</h3>
                {crate::components::form::field_error(error, "locations")}
                {crate::components::form::field_error(error, "headers")}
                <div class="locations">
                    {move || rows.get().into_iter().enumerate().map(|(i, row)| {
                        let path_id = format!("loc-path-{i}");
                        let target_id = format!("loc-target-{i}");
                        let kind_id = format!("loc-kind-{i}");
                        let headers_id = format!("loc-headers-{i}");
                        view! {
                            <fieldset class="location-row">
                                <legend>{format!("Location {}", i + 1)}</legend>
                                <div class="field"><label for=path_id.clone()>"Path"</label>
                                    <input id=path_id prop:value=move || row.path.get() on:input=move |ev| row.path.set(event_target_value(&ev))/></div>
                                <div class="field"><label for=kind_id.clone()>"Does"</label>
                                    <select id=kind_id prop:value=move || row.kind.get() on:change=move |ev| row.kind.set(event_target_value(&ev))>
                                        <option value="proxy">"Proxy to pool"</option>
                                        <option value="static">"Serve files from"</option>
                                        <option value="redirect">"Redirect (code URL)"</option>
                                        <option value="status">"Fixed status (code text)"</option>
                                    </select></div>
                                <div class="field"><label for=target_id.clone()>"Target"</label>
                                    <input id=target_id list="pool-names" prop:value=move || row.target.get() on:input=move |ev| row.target.set(event_target_value(&ev))/></div>
                                <label class="check"><input type="checkbox" prop:checked=move || row.websocket.get() on:change=move |ev| row.websocket.set(event_target_checked(&ev))/>" WebSocket"</label>
                                <div class="field"><label for=headers_id.clone()>"Response headers (Name: value)"</label>
                                    <textarea id=headers_id rows="2" prop:value=move || row.headers.get() on:input=move |ev| row.headers.set(event_target_value(&ev))></textarea></div>
                                <button type="button" class="button small" on:click=move |_| rows.update(|r| { r.remove(i); })>"Remove"</button>
                            </fieldset>
                        }
                    }).collect_view()}
                </div>
                <datalist id="pool-names">
                    <Transition fallback=|| ()>
                        {move || pools.get().and_then(Result::ok).map(|l| l.into_iter().map(|p| view! { <option value=p.spec.name.clone()/> }).collect_view())}
                    </Transition>
                </datalist>
                <button type="button" class="button small" on:click=add_row>"Add location"</button>
                <h3>"Access"</h3>
                <div class="inline-form">
                    <TextField id="edit-allow" label="Allow only (addresses or networks)" value=allow error field="allow"/>
                    <TextField id="edit-deny" label="Deny" value=deny error field="deny"/>
                    <div class="field">
                        <label for="edit-access-list">"Password protection"</label>
                        <select id="edit-access-list" on:change=move |ev| access_list.set(event_target_value(&ev)) prop:value=move || access_list.get()>
                            <option value="">"None"</option>
                            {current_list.map(|l| view! { <option value=l.clone()>{format!("Access list {l}")}</option> })}
                            <Transition fallback=|| ()>
                                {move || lists.get().and_then(Result::ok).map(|l| l.into_iter()
                                    .filter(|a| other_list.as_deref() != Some(a.name.as_str()))
                                    .map(|a| view! { <option value=a.name.clone()>{format!("Access list {}", a.name)}</option> })
                                    .collect_view())}
                            </Transition>
                        </select>
                        {crate::components::form::field_error(error, "access_list")}
                    </div>
                </div>
                <label class="check"><input type="checkbox" prop:checked=move || satisfy_any.get() on:change=move |ev| satisfy_any.set(event_target_checked(&ev))/>" An allowed address or a password is enough (otherwise both)"</label>
                {crate::components::form::field_error(error, "satisfy_any")}
                <TextArea id="edit-snippet" label="Advanced: nginx directives added to the server block" rows=3 value=snippet error field="snippet"/>
                <button type="submit" class="button primary" disabled=move || busy.get()>{move || if busy.get() { "Testing and applying…" } else { "Apply" }}</button>
            </form>
            {form_error(error)}
        </section>
    }
}

/// Saves a change of site `id`: a toast when it is live, nginx's refusal under the form; the
/// page is re-read either way (a refusal shows in the site's state and history).
fn apply_change(id: i64, input: SiteInput, error: RwSignal<Option<ApiError>>, busy: RwSignal<bool>, reload: Callback<()>) {
    let toasts = use_toasts();
    busy.set(true);
    spawn_local(async move {
        match save_site(Some(id), input).await {
            Ok(s) => toasts.success(format!("{} version {} is live.", s.name, s.live_version.unwrap_or(0))),
            Err(e) => {
                let _ = error.try_set(Some(e));
            }
        }
        let _ = reload.try_run(());
        let _ = busy.try_set(false);
    });
}

fn spec_cert_option(mode: TlsMode) -> Option<impl IntoView> {
    match mode {
        TlsMode::Certificate { id } => Some(view! { <option value=format!("cert:{id}")>{format!("Certificate #{id}")}</option> }),
        _ => None,
    }
}

/// A typed site's editor, with the way out to raw text: the live version's configuration is
/// loaded into the raw editor, and applying it makes the site a raw one (through the same
/// test-and-swap pipeline).
#[component]
fn TypedOrRaw(id: i64, name: String, spec: SiteSpec, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let raw = RwSignal::new(None::<String>);
    let to_raw = move |_| {
        spawn_local(async move {
            match site_versions(id).await {
                Ok(v) => match v.into_iter().find(|v| v.state == "live") {
                    Some(live) => raw.set(Some(live.rendered)),
                    None => toasts.error("The site has no live version to start from yet."),
                },
                Err(e) => toasts.error(e.message),
            }
        })
    };
    view! {
        <Show when=move || raw.get().is_none() fallback=move || view! {
            <p class="muted">"Raw text: applying it makes this a raw site, edited as text from now on."
                " "<button type="button" class="button small" on:click=move |_| raw.set(None)>"Back to the form"</button></p>
            <RawEditor id name=name.clone() text=raw.get_untracked().unwrap_or_default() reload/>
        }>
            <TypedEditor id spec=spec.clone() reload/>
            <p><button type="button" class="button small" on:click=to_raw>"Edit as raw text"</button></p>
        </Show>
    }
}

#[component]
fn RawEditor(id: i64, name: String, text: String, reload: Callback<()>) -> impl IntoView {
    let value = RwSignal::new(text);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = SiteInput { name: name.clone(), body: SiteBody::Raw { text: value.get_untracked() } };
        if let Err(e) = input.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        apply_change(id, input, error, busy, reload);
    };
    view! {
        <section class="card">
            <h2>"Configuration (raw)"</h2>
            <form on:submit=submit novalidate=true>
                <TextArea id="raw-text" label="nginx configuration of this site" rows=14 value=value error field="raw"/>
                <button type="submit" class="button primary" disabled=move || busy.get()>{move || if busy.get() { "Testing and applying…" } else { "Test and apply" }}</button>
            </form>
            {form_error(error)}
        </section>
    }
}

#[component]
fn Versions(id: i64, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let versions = Resource::new(|| (), move |_| site_versions(id));
    let diff = RwSignal::new(None::<(i64, Vec<pier_proto::sites::DiffLine>)>);
    let show_diff = move |number: i64| {
        spawn_local(async move {
            match site_version_diff(id, (number - 1).max(1), number).await {
                Ok(lines) => diff.set(Some((number, lines))),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    let restore = move |number: i64| toasts.act(restore_site_version(id, number), move |s| format!("Version {number} restored as version {}.", s.live_version.unwrap_or(0)), reload);
    view! {
        <section class="card">
            <h2>"History"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading versions…"</p> }>
                {move || versions.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table versions">
                            <thead><tr><th scope="col">"Version"</th><th scope="col">"State"</th><th scope="col">"By"</th><th scope="col">"When"</th><th scope="col">"nginx said"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|v| {
                                    let n = v.number;
                                    view! {
                                        <tr data-version=n.to_string() data-state=v.state.clone()>
                                            <td>{n}</td>
                                            <td>{v.state.clone()}</td>
                                            <td>{v.actor.clone()}</td>
                                            <td>{when(v.created_at)}</td>
                                            <td class="small">{v.message.clone().unwrap_or_default()}</td>
                                            <td><div class="row-actions">
                                                {(n > 1).then(|| view! { <button type="button" class="button small" on:click=move |_| show_diff(n)>"Changes"</button> })}
                                                {(v.state != "live").then(|| view! { <button type="button" class="button small" on:click=move |_| restore(n)>"Restore"</button> })}
                                            </div></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            {move || diff.get().map(|(n, lines)| view! {
                <h3>{format!("Changes in version {n}")}</h3>
                <pre class="code diff">
                    {lines.into_iter().map(|l| {
                        let class = match l.change { '+' => "diff-add", '-' => "diff-del", _ => "diff-same" };
                        view! { <span class=class>{format!("{} {}\n", l.change, l.text)}</span> }
                    }).collect_view()}
                </pre>
            })}
        </section>
    }
}

#[component]
fn Traffic(id: i64) -> impl IntoView {
    let kind = RwSignal::new(LogKind::Access);
    let tick = RwSignal::new(0u32);
    let follow = RwSignal::new(false);
    let lines = Resource::new(move || (kind.get(), tick.get()), move |(k, _)| site_log(id, k, 200));
    let metrics = Resource::new(move || tick.get(), move |_| site_metrics(id, 300));
    // Following re-reads the tail every two seconds while the box is ticked.
    #[cfg(feature = "hydrate")]
    {
        let handle = leptos::prelude::set_interval_with_handle(move || if follow.get_untracked() { let _ = tick.try_update(|t| *t += 1); }, std::time::Duration::from_secs(2));
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    view! {
        <section class="card">
            <h2>"Traffic (last 5 minutes)"</h2>
            <Transition fallback=|| ()>
                {move || metrics.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(m) => view! {
                        <dl class="facts site-metrics">
                            <dt>"Requests"</dt><dd>{format!("{} ({:.2}/s)", m.requests, m.requests_per_s)}</dd>
                            <dt>"2xx / 3xx / 4xx / 5xx"</dt><dd>{format!("{} / {} / {} / {}", m.status[1], m.status[2], m.status[3], m.status[4])}</dd>
                            <dt>"Sent"</dt><dd>{format!("{} bytes", m.bytes_sent)}</dd>
                            <dt>"Upstream p50 / p95"</dt><dd>{match (m.upstream_p50_ms, m.upstream_p95_ms) { (Some(a), Some(b)) => format!("{a:.1} / {b:.1} ms"), _ => "—".into() }}</dd>
                        </dl>
                    }.into_any(),
                })}
            </Transition>
            <div class="row-actions">
                <button type="button" class="button small" on:click=move |_| kind.set(LogKind::Access)>"Access log"</button>
                <button type="button" class="button small" on:click=move |_| kind.set(LogKind::Error)>"Error log"</button>
                <button type="button" class="button small" on:click=move |_| tick.update(|t| *t += 1)>"Refresh"</button>
                <label class="check"><input type="checkbox" prop:checked=move || follow.get() on:change=move |ev| follow.set(event_target_checked(&ev))/>" Follow"</label>
            </div>
            <Transition fallback=|| ()>
                {move || lines.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <p class="muted">"Nothing logged yet."</p> }.into_any(),
                    Ok(l) => view! { <pre class="code log">{l.join("\n")}</pre> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
