//! A person's notifications (alerts about their resources, or the platform's for
//! administrators), their own channels (email, a webhook with a signing secret), and for
//! administrators the mail server Pier sends with.

use crate::api::alerts::{channel_settings, mark_notifications_read, notifications, save_channel_settings, save_smtp_settings, send_test_mail, send_test_webhook, smtp_settings, webhook_deliveries};
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::when;
use crate::live::{use_live, LiveMsg};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::accounts::Role;
use pier_proto::alerts::{ChannelSettings, SmtpSecurity, SmtpSettings};
use pier_proto::live::Topic;
use pier_proto::ApiError;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let toasts = use_toasts();
    let me = use_current_user().0;
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let list = Resource::new(move || version.get(), |_| notifications(100));
    use_live(Topic::new("notifications").expect("topic"), move |_: LiveMsg| version.update(|v| *v += 1));
    let read_all = move |_| toasts.act(mark_notifications_read(None), |n| format!("{n} marked read."), reload);
    view! {
        <Title text="Notifications"/>
        <div class="page-head">
            <h1>"Notifications"</h1>
            <button type="button" class="button small" on:click=read_all>"Mark all read"</button>
        </div>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <p class="muted">"Nothing yet."</p> }.into_any(),
                    Ok(l) => view! {
                        <ul class="plain notification-list">
                            {l.into_iter().map(|n| view! {
                                <li class="notification" data-read=n.read.to_string() data-severity=n.severity.as_str()>
                                    <strong>{n.title.clone()}</strong>
                                    <span class="muted small">{format!(" · {}", when(n.created_at))}</span>
                                    <div class="small">{n.body.clone()}</div>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
        <ChannelsCard/>
        <Transition fallback=|| ()>
            {move || me.get().map(|r| (r.ok().flatten().map(|u| u.role) == Some(Role::Admin)).then(|| view! { <SmtpCard/> }))}
        </Transition>
    }
}

#[component]
fn ChannelsCard() -> impl IntoView {
    let current = Resource::new(|| (), |_| channel_settings());
    view! {
        <section class="card">
            <h2>"How you are told"</h2>
            <p class="muted">"In Pier always; by email to your account's address and by webhook when you choose them. Webhooks are signed: X-Pier-Signature is sha256= and the HMAC-SHA256 of the body with your secret."</p>
            <Transition fallback=|| ()>
                {move || current.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(c) => view! { <ChannelsForm current=c/> }.into_any(),
                })}
            </Transition>
        </section>
        <WebhookLog/>
    }
}

/// The person's webhook deliveries (newest first) with a test button: what was sent, how
/// many attempts it took and what the receiver answered.
#[component]
fn WebhookLog() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let log = Resource::new(move || version.get(), |_| webhook_deliveries(20));
    // Deliveries retry in the background for up to 15 s: look again while one is pending.
    Effect::new(move |_| {
        if log.get().and_then(Result::ok).is_some_and(|l| l.iter().any(|d| d.state == "pending")) {
            // The page may be gone by then: nothing to look at.
            set_timeout(move || { version.try_update(|v| *v += 1); }, std::time::Duration::from_secs(1));
        }
    });
    let test = move |_| toasts.act(send_test_webhook(), |_| "A test event is on its way.".to_string(), reload);
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Webhook deliveries"</h2>
                <button type="button" class="button small" on:click=test>"Send a test event"</button>
            </div>
            <Transition fallback=|| ()>
                {move || log.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <p class="muted">"Nothing sent yet."</p> }.into_any(),
                    Ok(l) => view! {
                        <div class="table-wrap"><table class="table webhook-log">
                            <thead><tr><th>"When"</th><th>"What"</th><th>"State"</th><th>"Attempts"</th><th>"Answer"</th></tr></thead>
                            <tbody>
                                {l.into_iter().map(|d| view! {
                                    <tr data-delivery-state=d.state.clone()>
                                        <td>{when(d.created_at)}</td>
                                        <td>{d.alert_id.map(|a| format!("alert #{a}")).unwrap_or_else(|| "test".into())}</td>
                                        <td><span class=format!("badge {}", match d.state.as_str() { "delivered" => "badge-succeeded", "failed" => "badge-failed", _ => "badge-queued" })>{d.state.clone()}</span></td>
                                        <td>{d.attempts}</td>
                                        <td class="small">{match (d.last_status, d.last_error) {
                                            (_, Some(e)) => e,
                                            (Some(s), None) => format!("HTTP {s}"),
                                            (None, None) => "—".into(),
                                        }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ChannelsForm(current: ChannelSettings) -> impl IntoView {
    let toasts = use_toasts();
    let email = RwSignal::new(current.email);
    let url = RwSignal::new(current.webhook_url.clone().unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let secret_set = current.webhook_secret_set;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = ChannelSettings {
            email: email.get_untracked(),
            webhook_url: Some(url.get_untracked().trim().to_string()).filter(|u| !u.is_empty()),
            webhook_secret: Some(secret.get_untracked()).filter(|s| !s.is_empty()),
            webhook_secret_set: false,
        };
        if let Err(e) = input.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match save_channel_settings(input).await {
                Ok(_) => {
                    secret.set(String::new());
                    toasts.success("Your channels are saved.");
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="stack-form" on:submit=submit novalidate=true>
            <label class="check"><input type="checkbox" prop:checked=move || email.get() on:change=move |ev| email.set(event_target_checked(&ev))/>" Email me"</label>
            <TextField id="webhook-url" label="Webhook URL" value=url error field="webhook_url"/>
            <TextField id="webhook-secret" kind="password" label=if secret_set { "New signing secret (empty: keep it)" } else { "Signing secret (16 characters or more)" } value=secret error field="webhook_secret"/>
            <button type="submit" class="button primary">"Save"</button>
        </form>
        {form_error(error)}
    }
}

#[component]
fn SmtpCard() -> impl IntoView {
    let current = Resource::new(|| (), |_| smtp_settings());
    view! {
        <section class="card">
            <h2>"Mail server"</h2>
            <Transition fallback=|| ()>
                {move || current.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(s) => view! { <SmtpForm current=s.unwrap_or_default()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SmtpForm(current: SmtpSettings) -> impl IntoView {
    let toasts = use_toasts();
    let host = RwSignal::new(current.host.clone());
    let port = RwSignal::new(if current.port == 0 { "587".to_string() } else { current.port.to_string() });
    let security = RwSignal::new(match current.security { SmtpSecurity::None => "none", SmtpSecurity::StartTls => "starttls", SmtpSecurity::Tls => "tls" }.to_string());
    let username = RwSignal::new(current.username.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let from = RwSignal::new(current.from.clone());
    let test_to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = SmtpSettings {
            host: host.get_untracked().trim().to_string(),
            port: port.get_untracked().trim().parse().unwrap_or(0),
            security: match security.get_untracked().as_str() { "none" => SmtpSecurity::None, "tls" => SmtpSecurity::Tls, _ => SmtpSecurity::StartTls },
            username: Some(username.get_untracked().trim().to_string()).filter(|u| !u.is_empty()),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
            password_set: false,
            from: from.get_untracked().trim().to_string(),
        };
        if let Err(e) = input.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match save_smtp_settings(input).await {
                Ok(_) => {
                    password.set(String::new());
                    toasts.success("Mail settings saved.");
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let test = move |_| toasts.act(send_test_mail(test_to.get_untracked().trim().to_string()), |_| "Test message sent.".to_string(), Callback::new(|_| ()));
    view! {
        <form class="stack-form" on:submit=submit novalidate=true>
            <TextField id="smtp-host" label="Server" value=host error field="host"/>
            <TextField id="smtp-port" label="Port" value=port error field="port"/>
            <div class="field">
                <label for="smtp-security">"Security"</label>
                <select id="smtp-security" prop:value=move || security.get() on:change=move |ev| security.set(event_target_value(&ev))>
                    <option value="starttls">"STARTTLS"</option>
                    <option value="tls">"TLS"</option>
                    <option value="none">"None (a relay on this machine)"</option>
                </select>
            </div>
            <TextField id="smtp-user" label="Login (empty: none)" value=username error field="username"/>
            <TextField id="smtp-password" kind="password" label=if current.password_set { "New password (empty: keep it)" } else { "Password" } value=password error field="password"/>
            <TextField id="smtp-from" label="Sender address" value=from error field="from"/>
            <button type="submit" class="button primary">"Save"</button>
        </form>
        {form_error(error)}
        <div class="inline-form">
            <TextField id="smtp-test-to" label="Send a test message to" value=test_to error field="to"/>
            <button type="button" class="button" on:click=test>"Send test"</button>
        </div>
    }
}
