//! Users (administration): search, create, change role, suspend/ban, delete.
//! The page hides what the signed-in role cannot do; the server refuses it anyway.

use crate::api::{create_user, delete_user, list_users, make_reset_link, reset_user_2fa, security_policy, set_security_policy, update_user};
use crate::components::confirm::ConfirmDialog;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use crate::format::short_time;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::accounts::{NewUser, Role, UserQuery, UserStatus, UserUpdate, UserView};
use pier_proto::security::SecurityPolicy;
use pier_proto::ApiError;

const PER_PAGE: u32 = 25;

#[component]
pub fn UsersPage() -> impl IntoView {
    let me = use_current_user().0;
    let is_admin = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin);
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(0u32);
    let version = RwSignal::new(0u32);
    let users = Resource::new(
        move || (search.get(), page.get(), version.get()),
        |(search, page, _)| list_users(UserQuery { search, page, per_page: Some(PER_PAGE) }),
    );
    let reload = move || version.update(|v| *v += 1);

    view! {
        <Title text="Users"/>
        <div class="page-head">
            <h1>"Users"</h1>
            <p class="muted">"Accounts and their roles: admin (everything), support (operate, read), billing (accounts and plans), user (own resources)."</p>
        </div>
        <Show when=is_admin>
            <NewUserForm on_created=Callback::new(move |_| reload())/>
            <SecurityPolicyCard on_changed=Callback::new(move |_| reload())/>
        </Show>
        <section class="card">
            <div class="actions-row">
                <div class="field grow">
                    <label for="user-search">"Search by username or email"</label>
                    <input id="user-search" type="search" prop:value=move || search.get()
                           on:input=move |ev| { search.set(event_target_value(&ev)); page.set(0); }/>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
                {move || users.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) if p.users.is_empty() => view! {
                        <EmptyState icon="users" title="No accounts match" text="Try another search."/>
                    }.into_any(),
                    Ok(p) => {
                        let pages = p.total.div_ceil(p.per_page as u64).max(1);
                        let current = p.page;
                        let on_last = current as u64 + 1 >= pages;
                        view! {
                            <div class="table-wrap">
                                <table class="table users">
                                    <thead><tr>
                                        <th scope="col">"User"</th><th scope="col">"Role"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Last sign-in"</th><th scope="col"></th>
                                    </tr></thead>
                                    <tbody>
                                        {p.users.into_iter().map(|u| view! {
                                            <UserRow user=u admin=is_admin() on_changed=Callback::new(move |_| reload())/>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <div class="pager">
                                <button type="button" class="button small" disabled=current == 0
                                        on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                                <span class="muted">{format!("Page {} of {} · {} accounts", current + 1, pages, p.total)}</span>
                                <button type="button" class="button small" disabled=on_last
                                        on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserRow(user: UserView, admin: bool, on_changed: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let confirm_delete = RwSignal::new(false);
    let reset_link = RwSignal::new(None::<String>);
    let id = user.id;
    let make_link = move |_| {
        spawn_local(async move {
            match make_reset_link(id).await {
                Ok(link) => {
                    #[cfg(feature = "hydrate")]
                    let origin = window().location().origin().unwrap_or_default();
                    #[cfg(not(feature = "hydrate"))]
                    let origin = String::new();
                    reset_link.set(Some(format!("{origin}{}", link.path)));
                    toasts.success("Reset link made: hand it to the person; it works once.");
                }
                Err(e) => toasts.error(e.message),
            }
        });
    };
    let reset_2fa = {
        let name = user.username.clone();
        move |_| {
            let done = format!("Two-factor authentication removed for {name}.");
            toasts.act(reset_user_2fa(id), move |_| done, on_changed);
        }
    };
    let has_2fa = user.two_factor;
    let name = user.username.clone();
    let change = move |update: UserUpdate, done: String| toasts.act(update_user(id, update), move |_| done, on_changed);
    let delete = {
        let name = name.clone();
        Callback::new(move |_| {
            let done = format!("Deleted {name}.");
            toasts.act(delete_user(id, name.clone()), move |_| done, on_changed);
        })
    };
    let status = user.status;
    let role_select = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            if let Some(role) = Role::parse(&event_target_value(&ev)) {
                change(UserUpdate { role: Some(role), ..Default::default() }, format!("{name} is now {}.", role.as_str()));
            }
        }
    };
    view! {
        <tr data-username=user.username.clone() data-status=status.as_str()>
            <td><strong>{user.username.clone()}</strong>
                {user.two_factor.then(|| view! { " " <span class="badge" title="Two-factor authentication is on">"2FA"</span> })}
                <div class="muted small">{user.email.clone()}</div>
                {move || reset_link.get().map(|link| view! {
                    <div class="reset-link">
                        <label class="small" for=format!("reset-{id}")>"One-time password link (24 h):"</label>
                        <input id=format!("reset-{id}") class="secret-field" type="text" readonly=true prop:value=link
                               on:focus=crate::components::form::select_all/>
                    </div>
                })}
            </td>
            <td>
                {if admin {
                    view! {
                        <select aria-label=format!("Role of {}", user.username) on:change=role_select>
                            {Role::ALL.into_iter().map(|r| view! {
                                <option value=r.as_str() selected=r == user.role>{r.as_str()}</option>
                            }).collect_view()}
                        </select>
                    }.into_any()
                } else {
                    view! { <span class="badge">{user.role.as_str()}</span> }.into_any()
                }}
            </td>
            <td><span class=format!("badge badge-{}", match status { UserStatus::Active => "succeeded", UserStatus::Suspended => "queued", UserStatus::Banned => "failed" })>
                {status.as_str()}</span></td>
            <td class="muted small">{user.last_login_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
            <td><div class="row-actions">
                {admin.then(|| {
                    let n1 = name.clone();
                    let n2 = name.clone();
                    view! {
                        {if status == UserStatus::Active {
                            view! {
                                <button type="button" class="button small"
                                    on:click=move |_| change(UserUpdate { status: Some(UserStatus::Suspended), ..Default::default() }, format!("Suspended {n1}; their sessions ended."))>"Suspend"</button>
                                <button type="button" class="button small"
                                    on:click=move |_| change(UserUpdate { status: Some(UserStatus::Banned), ..Default::default() }, format!("Banned {n2}; their sessions ended."))>"Ban"</button>
                            }.into_any()
                        } else {
                            view! {
                                <button type="button" class="button small"
                                    on:click=move |_| change(UserUpdate { status: Some(UserStatus::Active), ..Default::default() }, format!("Reactivated {n1}."))>"Reactivate"</button>
                            }.into_any()
                        }}
                        <button type="button" class="button small" on:click=make_link>"Reset link"</button>
                        {has_2fa.then(|| view! { <button type="button" class="button small" on:click=reset_2fa.clone()>"Reset 2FA"</button> })}
                        <button type="button" class="button small danger" on:click=move |_| confirm_delete.set(true)>"Delete"</button>
                    }
                })}
                <ConfirmDialog open=confirm_delete title=format!("Delete {}?", user.username)
                    message="The account, its sessions, SSH keys and API tokens are removed for good. Jobs and audit entries stay in the history. An account that owns VPSs cannot be deleted until they are."
                    confirm_text=user.username.clone() action_label="Delete account" on_confirm=delete/>
            </div></td>
        </tr>
    }
}

#[component]
fn NewUserForm(on_created: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::User);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let account = NewUser {
            username: username.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            role: role.get_untracked(),
        };
        if let Err(e) = account.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        spawn_local(async move {
            match create_user(account).await {
                Ok(u) => {
                    toasts.success(format!("Created {} ({}).", u.username, u.role.as_str()));
                    username.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    on_created.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"New user"</h2>
            <form method="post" class="inline-form" on:submit=submit novalidate=true>
                <TextField id="nu-username" label="Username" value=username error field="username"/>
                <TextField id="nu-email" label="Email" kind="email" value=email error field="email"/>
                <TextField id="nu-password" label="Initial password" kind="password" autocomplete="new-password"
                           value=password error field="password"/>
                <div class="field">
                    <label for="nu-role">"Role"</label>
                    <select id="nu-role" on:change=move |ev| if let Some(r) = Role::parse(&event_target_value(&ev)) { role.set(r) }>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::User>{r.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button primary">"Create user"</button>
            </form>
            {form_error(error)}
        </section>
    }
}

/// Which roles must use two-factor authentication (admins).
#[component]
fn SecurityPolicyCard(on_changed: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let policy = Resource::new(|| (), |_| security_policy());
    let chosen = RwSignal::new(Vec::<Role>::new());
    Effect::new(move |_| {
        if let Some(Ok(p)) = policy.get() {
            chosen.set(p.require_2fa);
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            match set_security_policy(SecurityPolicy { require_2fa: chosen.get_untracked() }).await {
                Ok(p) => {
                    let roles: Vec<&str> = p.require_2fa.iter().map(|r| r.as_str()).collect();
                    toasts.success(if roles.is_empty() { "2FA is optional for every role.".to_string() } else { format!("2FA is now required for: {}.", roles.join(", ")) });
                    on_changed.run(());
                }
                Err(e) => toasts.error(e.message),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Sign-in security"</h2>
            <form class="inline-form" on:submit=save>
                <fieldset class="checks">
                    <legend>"Require two-factor authentication for"</legend>
                    {Role::ALL.into_iter().map(|r| view! {
                        <label class="check">
                            <input type="checkbox" name=format!("require-2fa-{}", r.as_str())
                                   prop:checked=move || chosen.get().contains(&r)
                                   on:change=move |ev| {
                                       let on = event_target_checked(&ev);
                                       chosen.update(|c| { c.retain(|x| *x != r); if on { c.push(r); } });
                                   }/>
                            {r.as_str()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="button">"Save"</button>
            </form>
            <p class="muted small">"Members of a required role who have not set it up can only do that until they have."</p>
        </section>
    }
}
