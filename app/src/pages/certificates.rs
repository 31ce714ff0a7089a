//! Certificates (staff): the ACME account, every certificate with its expiry and the sites
//! using it, the order job's progress live, DNS-01 records to create, requests and uploads.

use crate::api::sites::{acme_account, certificate_detail, delete_certificate, dns_check, dns_finish, list_certificates, renew_certificate, request_certificate, set_acme_account, set_certificate_auto_renew, set_default_certificate, upload_certificate};
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextArea, TextField};
use crate::components::progress::ProgressBar;
use crate::components::toast::use_toasts;
use crate::format::when;
use crate::pages::jobs::JobFeed;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::certificates::{AcmeAccountInput, CertificateRequest, CertificateUpload, CertificateView, ChallengeKind, KIND_ISSUE, LETS_ENCRYPT, LETS_ENCRYPT_STAGING};
use pier_proto::ApiError;

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let certs = Resource::new(move || version.get(), |_| list_certificates());
    let feed = JobFeed::new(50);
    feed.on_finished(KIND_ISSUE, move || version.update(|v| *v += 1));
    view! {
        <Title text="Certificates"/>
        <div class="page-head">
            <h1>"Certificates"</h1>
            <p class="muted">"TLS certificates for the sites: issued by an ACME directory and renewed before they expire, or uploaded. Private keys stay on the server."</p>
        </div>
        <AccountCard/>
        <section class="card">
            <h2>"Certificates"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading certificates…"</p> }>
                {move || certs.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState icon="certificates" title="No certificates yet" text="Request one from the ACME directory or upload one below."/> }.into_any(),
                    Ok(list) => list.into_iter().map(|c| view! { <CertificateCard cert=c feed reload/> }).collect_view().into_any(),
                })}
            </Transition>
        </section>
        <RequestForm on_done=reload feed/>
        <UploadForm on_done=reload/>
    }
}

#[component]
fn AccountCard() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let account = Resource::new(move || version.get(), |_| acme_account());
    let directory = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let agree = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // The form starts from the account in use (or the configured directory).
    Effect::new(move |_| {
        if let Some(Ok(a)) = account.get() {
            if directory.get_untracked().is_empty() {
                directory.set(a.directory_url.clone());
                email.set(a.email.clone().unwrap_or_default());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AcmeAccountInput { directory_url: directory.get_untracked().trim().to_string(), email: email.get_untracked().trim().to_string(), agree_terms: agree.get_untracked() };
        if let Err(e) = input.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            match set_acme_account(input).await {
                Ok(a) => {
                    toasts.success(format!("Registered with {}.", a.directory_url));
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            let _ = busy.try_set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"ACME account"</h2>
            <Transition fallback=|| ()>
                {move || account.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(a) => {
                        view! {
                            <p data-acme=if a.registered { "registered" } else { "none" }>
                                {if a.registered { format!("Registered at {} as {}. Certificates renew {} days before they expire.", a.directory_url, a.email.unwrap_or_default(), a.renew_days_before) } else { "No account yet: register one to request certificates.".to_string() }}
                            </p>
                        }.into_any()
                    }
                })}
            </Transition>
            <form class="inline-form" on:submit=submit novalidate=true>
                <TextField id="acme-directory" label="Directory URL" value=directory error field="directory_url"/>
                <TextField id="acme-email" label="Email for expiry notices" kind="email" value=email error field="email"/>
                <p class="muted small">"Let's Encrypt: "<code>{LETS_ENCRYPT}</code>" · staging: "<code>{LETS_ENCRYPT_STAGING}</code></p>
                <label class="check"><input id="acme-agree" type="checkbox" prop:checked=move || agree.get() on:change=move |ev| agree.set(event_target_checked(&ev))/>" I accept the directory's terms of service"</label>
                {crate::components::form::field_error(error, "agree_terms")}
                <button type="submit" class="button primary" disabled=move || busy.get()>{move || if busy.get() { "Registering…" } else { "Save account" }}</button>
            </form>
            {form_error(error)}
        </section>
    }
}

#[component]
fn CertificateCard(cert: CertificateView, feed: JobFeed, reload: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let id = cert.id;
    let target = format!("certificate:{id}");
    let job = move || feed.jobs().into_iter().find(|j| j.target == target && j.kind == KIND_ISSUE && !j.state.is_final());
    let detail = RwSignal::new(None::<String>);
    let checks = RwSignal::new(None::<Vec<pier_proto::sites::DnsCheck>>);
    let show = move |_| {
        spawn_local(async move {
            match certificate_detail(id).await {
                Ok(d) => detail.set(Some(format!("{}\n{}", d.text, d.chain_pem))),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    let renew = move |_| {
        spawn_local(async move {
            match renew_certificate(id).await {
                Ok(_) => toasts.success("Renewal started."),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    let check = move |_| {
        spawn_local(async move {
            match dns_check(id).await {
                Ok(c) => checks.set(Some(c)),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    let finish = move |_| {
        spawn_local(async move {
            match dns_finish(id).await {
                Ok(_) => toasts.success("Finishing the order."),
                Err(e) => toasts.error(e.message),
            }
        })
    };
    let is_default = cert.is_default;
    let make_default = move |_| toasts.act(set_default_certificate(id, !is_default), |c| if c.is_default { format!("{} is the default certificate.", c.name) } else { format!("{} is no longer the default.", c.name) }, reload);
    let auto_renew = cert.auto_renew;
    let toggle_renew = move |_| toasts.act(set_certificate_auto_renew(id, !auto_renew), |c| if c.auto_renew { format!("{} renews itself before it expires.", c.name) } else { format!("{} is renewed by hand only.", c.name) }, reload);
    let remove = move |_| toasts.act(delete_certificate(id), |_| "Certificate deleted.".to_string(), reload);
    let status_class = match cert.status.as_str() {
        "valid" => "badge badge-succeeded",
        "failed" => "badge badge-failed",
        _ => "badge badge-running",
    };
    let acme = cert.source == "acme";
    let has_dns = !cert.dns_challenges.is_empty();
    view! {
        <article class="cert-card" data-certificate=cert.name.clone() data-status=cert.status.clone()>
            <div class="card-head">
                <h3>{cert.name.clone()}" "<span class=status_class>{cert.status.clone()}</span>{cert.is_default.then(|| view! { " "<span class="badge">"default"</span> })}</h3>
                <div class="row-actions">
                    <button type="button" class="button small" on:click=show>"View"</button>
                    {acme.then(|| view! {
                        <button type="button" class="button small" on:click=renew>"Renew now"</button>
                        <button type="button" class="button small" on:click=toggle_renew>{if auto_renew { "Stop auto-renew" } else { "Auto-renew" }}</button>
                    })}
                    <button type="button" class="button small" on:click=make_default>{if cert.is_default { "Not default" } else { "Make default" }}</button>
                    <button type="button" class="button small danger" aria-label=format!("Delete certificate {}", cert.name) on:click=remove>"Delete"</button>
                </div>
            </div>
            <dl class="facts">
                <dt>"Names"</dt><dd>{cert.names.join(", ")}</dd>
                <dt>"Issuer"</dt><dd>{cert.issuer.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Valid"</dt><dd class="cert-expiry">{match (cert.not_before, cert.not_after) {
                    (Some(a), Some(b)) => format!("{} to {} ({} days left)", when(a), when(b), cert.days_left.unwrap_or(0)),
                    _ => "not issued yet".into(),
                }}</dd>
                <dt>"Key"</dt><dd>{cert.key_type.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Source"</dt><dd>{if acme { if cert.auto_renew { "ACME, renews itself" } else { "ACME" } } else { "uploaded" }}</dd>
                <dt>"Sites"</dt><dd>{if cert.sites.is_empty() { "—".to_string() } else { cert.sites.join(", ") }}</dd>
            </dl>
            {move || job().map(|j| view! {
                <div class="cert-job">
                    <ProgressBar value=j.progress state=j.state label=format!("Certificate order {}", j.id)/>
                    <p class="muted small">{j.message}</p>
                </div>
            })}
            {cert.last_error.clone().map(|e| view! { <div class="error-box" role="alert">{e}</div> })}
            {has_dns.then(|| view! {
                <div class="dns-records">
                    <p>"Create these TXT records at your DNS provider, then check and finish:"</p>
                    <ul class="plain">{cert.dns_challenges.iter().map(|r| view! { <li><code>{r.record.clone()}</code>" TXT "<code>{r.value.clone()}</code></li> }).collect_view()}</ul>
                    <div class="row-actions">
                        <button type="button" class="button small" on:click=check>"Check records"</button>
                        <button type="button" class="button small primary" on:click=finish>"Finish order"</button>
                    </div>
                    {move || checks.get().map(|c| view! {
                        <ul class="plain">{c.into_iter().map(|r| view! { <li>{format!("{}: {}", r.record, if r.ok { "found".to_string() } else if r.found.is_empty() { "not visible yet".to_string() } else { format!("holds {}", r.found.join(", ")) })}</li> }).collect_view()}</ul>
                    })}
                </div>
            })}
            {move || detail.get().map(|t| view! { <pre class="code">{t}</pre> })}
        </article>
    }
}

#[component]
fn RequestForm(on_done: Callback<()>, feed: JobFeed) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let names = RwSignal::new(String::new());
    let dns = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = CertificateRequest {
            name: name.get_untracked().trim().to_string(),
            names: names.get_untracked().split([' ', ',']).filter(|n| !n.is_empty()).map(str::to_string).collect(),
            challenge: if dns.get_untracked() { ChallengeKind::Dns01Manual } else { ChallengeKind::Http01 },
            is_default: false,
        };
        if let Err(e) = req.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match request_certificate(req).await {
                Ok((c, _job)) => {
                    toasts.success(format!("Ordering {}…", c.name));
                    name.set(String::new());
                    names.set(String::new());
                    let _ = on_done.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let _ = feed;
    view! {
        <section class="card">
            <h2>"Request a certificate"</h2>
            <form class="inline-form" on:submit=submit novalidate=true>
                <TextField id="req-name" label="Certificate name" value=name error field="name"/>
                <TextField id="req-names" label="Host names" value=names error field="names"/>
                <label class="check"><input type="checkbox" prop:checked=move || dns.get() on:change=move |ev| dns.set(event_target_checked(&ev))/>" Prove with DNS records (needed for *.example.com)"</label>
                <button type="submit" class="button primary">"Request"</button>
            </form>
            {crate::components::form::field_error(error, "acme")}
            {form_error(error)}
        </section>
    }
}

#[component]
fn UploadForm(on_done: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let cert = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let chain = RwSignal::new(String::new());
    let default = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let up = CertificateUpload { name: name.get_untracked().trim().to_string(), certificate_pem: cert.get_untracked(), key_pem: key.get_untracked(), chain_pem: chain.get_untracked(), is_default: default.get_untracked() };
        if let Err(e) = up.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match upload_certificate(up).await {
                Ok(c) => {
                    toasts.success(format!("{} uploaded, valid for {} days.", c.name, c.days_left.unwrap_or(0)));
                    for s in [name, cert, key, chain] {
                        s.set(String::new());
                    }
                    let _ = on_done.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Upload a certificate"</h2>
            <form on:submit=submit novalidate=true>
                <TextField id="up-name" label="Certificate name" value=name error field="name"/>
                <TextArea id="up-cert" label="Certificate (PEM)" rows=4 value=cert error field="certificate_pem"/>
                <TextArea id="up-key" label="Private key (PEM)" rows=4 value=key error field="key_pem"/>
                <TextArea id="up-chain" label="Chain (intermediates, PEM)" rows=4 value=chain error field="chain_pem"/>
                <label class="check"><input type="checkbox" prop:checked=move || default.get() on:change=move |ev| default.set(event_target_checked(&ev))/>" Default certificate (for sites under its wildcard)"</label>
                <button type="submit" class="button primary">"Upload"</button>
            </form>
            {form_error(error)}
        </section>
    }
}
