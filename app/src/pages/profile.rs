//! Your profile: two-factor authentication, password, sessions, SSH keys, API tokens, and your
//! recent security events.

use crate::api::{change_password, list_audit, my_sessions, revoke_session};
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::short_time;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::audit::AuditQuery;
use pier_proto::ApiError;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = use_current_user().0;
    view! {
        <Title text="Profile"/>
        <div class="page-head"><h1>"Profile"</h1></div>
        <section class="card">
            <h2>"Account"</h2>
            <Transition fallback=|| ()>
                {move || me.get().and_then(|r| r.ok()).flatten().map(|u| view! {
                    <dl class="facts">
                        <dt>"Username"</dt><dd>{u.username}</dd>
                        <dt>"Email"</dt><dd>{u.email}</dd>
                        <dt>"Role"</dt><dd><span class="badge">{u.role.as_str()}</span></dd>
                        <dt>"Two-factor"</dt><dd>{if u.two_factor { "on" } else if u.two_factor_required { "required, not set up" } else { "off" }}</dd>
                    </dl>
                })}
            </Transition>
        </section>
        <super::credentials::TwoFactorSection/>
        <PasswordForm/>
        <SessionList/>
        <super::credentials::SshKeySection/>
        <super::credentials::ApiTokenSection/>
        <SecurityEvents/>
    }
}

/// The person's own latest entries in the audit log (the server returns only their own).
#[component]
fn SecurityEvents() -> impl IntoView {
    let me = use_current_user().0;
    let events = Resource::new(
        move || me.get().and_then(|r| r.ok()).flatten().map(|u| format!("user:{}", u.id)),
        |actor| async move {
            match actor {
                Some(actor) => list_audit(AuditQuery { actor: Some(actor), limit: Some(10), ..Default::default() }).await,
                None => Ok(Vec::new()),
            }
        },
    );
    view! {
        <section class="card">
            <h2>"Your recent activity"</h2>
            <Transition fallback=|| ()>
                {move || events.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <ul class="events">
                            {list.into_iter().map(|e| view! {
                                <li><span class="muted small">{short_time(&e.at)}</span> " " <code>{e.action}</code> " "
                                    <span>{e.outcome}</span> " " <span class="muted small">{e.ip.unwrap_or_default()}</span></li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let toasts = use_toasts();
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new_password.get_untracked() != confirm.get_untracked() {
            return error.set(Some(ApiError::invalid("confirm", "The two new passwords differ.")));
        }
        error.set(None);
        spawn_local(async move {
            match change_password(current.get_untracked(), new_password.get_untracked()).await {
                Ok(ended) => {
                    toasts.success(format!("Password changed. {ended} other session(s) ended."));
                    for s in [current, new_password, confirm] {
                        s.set(String::new());
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <form method="post" class="inline-form" on:submit=submit>
                <TextField id="pw-current" label="Current password" kind="password" autocomplete="current-password"
                           value=current error field="current"/>
                <TextField id="pw-new" label="New password" kind="password" autocomplete="new-password"
                           value=new_password error field="password"/>
                <TextField id="pw-confirm" label="Repeat the new password" kind="password" autocomplete="new-password"
                           value=confirm error field="confirm"/>
                <button type="submit" class="button primary">"Change password"</button>
            </form>
            {form_error(error)}
            <p class="muted small">"Changing it signs you out everywhere else."</p>
        </section>
    }
}

#[component]
fn SessionList() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let sessions = Resource::new(move || version.get(), |_| my_sessions());
    let revoke = move |handle: String| {
        spawn_local(async move {
            match revoke_session(handle).await {
                Ok(()) => {
                    toasts.success("Session ended.");
                    version.update(|v| *v += 1);
                }
                Err(e) => toasts.error(e.message),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Where you are signed in"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="table sessions">
                                <thead><tr><th scope="col">"Device"</th><th scope="col">"Address"</th>
                                    <th scope="col">"Last seen"</th><th scope="col">"Signed in"</th><th scope="col"></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|(s, current)| {
                                        let handle = s.handle.clone();
                                        view! {
                                            <tr data-current=current.to_string()>
                                                <td class="small">{s.user_agent.unwrap_or_else(|| "unknown".into())}</td>
                                                <td>{s.ip.unwrap_or_else(|| "-".into())}</td>
                                                <td class="muted small">{short_time(&s.last_seen_at)}</td>
                                                <td class="muted small">{short_time(&s.created_at)}</td>
                                                <td>{if current {
                                                    view! { <span class="badge badge-running">"this device"</span> }.into_any()
                                                } else {
                                                    view! { <button type="button" class="button small" on:click=move |_| revoke(handle.clone())>"Sign out"</button> }.into_any()
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}
