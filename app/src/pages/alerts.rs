//! Alerts: what is firing or pending (acknowledge it), the history, and — for staff — the rules
//! (administrators change them). Everyone sees the alerts about their own resources; new and
//! changed alerts arrive live on the `alerts` topic.

use crate::api::alerts::{acknowledge_alert, delete_alert_rule, list_alert_rules, list_alerts, save_alert_rule};
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
use pier_proto::alerts::{AlertQuery, AlertState, AlertView, Channel, Condition, RuleInput, RuleView, Scope, Severity};
use pier_proto::live::Topic;
use pier_proto::ApiError;

pub fn state_badge(a: &AlertView) -> impl IntoView {
    let (class, text) = match a.state {
        AlertState::Firing => ("badge badge-failed", "firing"),
        AlertState::Pending => ("badge badge-running", "pending"),
        AlertState::Resolved => ("badge badge-succeeded", "resolved"),
    };
    view! { <span class=class>{text}</span> }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let me = use_current_user().0;
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let alerts = Resource::new(move || version.get(), |_| list_alerts(AlertQuery { state: None, limit: Some(200) }));
    use_live(Topic::new("alerts").expect("topic"), move |_: LiveMsg| version.update(|v| *v += 1));
    let toasts = use_toasts();
    let ack = move |id: i64| toasts.act(acknowledge_alert(id), |a| format!("Acknowledged: {}", a.title), reload);
    view! {
        <Title text="Alerts"/>
        <div class="page-head">
            <h1>"Alerts"</h1>
            <p class="muted">"Alerts fire when a rule's condition holds for its time, or when something happens (a host unreachable, a certificate expiring, a job failed), and resolve by themselves."</p>
        </div>
        <section class="card">
            <h2>"Now"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
                {move || alerts.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        let open: Vec<AlertView> = list.iter().filter(|a| a.state != AlertState::Resolved).cloned().collect();
                        let past: Vec<AlertView> = list.into_iter().filter(|a| a.state == AlertState::Resolved).collect();
                        view! {
                            {if open.is_empty() { Some(view! { <p class="muted" data-alerts="none">"Nothing is firing."</p> }) } else { None }}
                            <ul class="plain alert-list">
                                {open.into_iter().map(|a| {
                                    let id = a.id;
                                    view! {
                                        <li class="alert-row" data-alert-state=a.state.as_str() data-alert-kind=a.kind.clone() data-target=a.target.clone()>
                                            {state_badge(&a)}" "<span class=format!("severity severity-{}", a.severity.as_str())>{a.severity.as_str()}</span>" "
                                            <strong>{a.title.clone()}</strong>
                                            <span class="muted small">{format!(" since {}", when(a.fired_at.unwrap_or(a.started_at)))}</span>
                                            {match a.acknowledged_by.clone() {
                                                Some(who) => view! { <span class="muted small">{format!(" · acknowledged by {who}")}</span> }.into_any(),
                                                None => view! { " "<button type="button" class="button small" on:click=move |_| ack(id)>"Acknowledge"</button> }.into_any(),
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <h3>"History"</h3>
                            {if past.is_empty() { Some(view! { <p class="muted">"No alert has resolved yet."</p> }) } else { None }}
                            <ul class="plain alert-history">
                                {past.into_iter().map(|a| view! {
                                    <li data-alert-state="resolved" data-target=a.target.clone()>
                                        {state_badge(&a)}" "{a.title.clone()}
                                        <span class="muted small">{format!(" · {} → {}", when(a.fired_at.unwrap_or(a.started_at)), a.resolved_at.map(when).unwrap_or_default())}</span>
                                        {a.acknowledged_by.clone().map(|w| view! { <span class="muted small">{format!(" · acknowledged by {w}")}</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
        <Transition fallback=|| ()>
            {move || me.get().map(|r| {
                let role = r.ok().flatten().map(|u| u.role);
                matches!(role, Some(Role::Admin | Role::Support)).then(|| view! { <RulesCard admin=role == Some(Role::Admin)/> })
            })}
        </Transition>
    }
}

fn describe(r: &RuleInput) -> String {
    let cond = match r.condition {
        Condition::Above => "above",
        Condition::Below => "below",
    };
    format!("{} {cond} {} for {} s on {}", r.metric, r.threshold, r.for_s, r.scope.describe())
}

#[component]
fn RulesCard(admin: bool) -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let rules = Resource::new(move || version.get(), |_| list_alert_rules());
    let editing = RwSignal::new(None::<RuleView>);
    let remove = move |r: RuleView| toasts.act(delete_alert_rule(r.id), move |_| format!("Deleted rule {}.", r.rule.name), reload);
    let toggle = move |r: RuleView| {
        let enabled = !r.rule.enabled;
        toasts.act(save_alert_rule(Some(r.id), RuleInput { enabled, ..r.rule.clone() }), move |v| format!("{} is {}.", v.rule.name, if enabled { "on" } else { "off" }), reload)
    };
    view! {
        <section class="card">
            <h2>"Rules"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading rules…"</p> }>
                {move || rules.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table rules">
                            <thead><tr><th scope="col">"Rule"</th><th scope="col">"Condition"</th><th scope="col">"Severity"</th><th scope="col">"Channels"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let (t, d, e) = (r.clone(), r.clone(), r.clone());
                                    view! {
                                        <tr data-rule=r.rule.name.clone() data-enabled=r.rule.enabled.to_string()>
                                            <td><strong>{r.rule.name.clone()}</strong>{r.is_default.then(|| view! { " "<span class="badge">"default"</span> })}</td>
                                            <td>{describe(&r.rule)}</td>
                                            <td>{r.rule.severity.as_str()}</td>
                                            <td>{r.rule.channels.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")}</td>
                                            <td class="row-actions">{admin.then(|| view! {
                                                <button type="button" class="button small" aria-label=format!("Edit rule {}", r.rule.name) on:click=move |_| editing.set(Some(e.clone()))>"Edit"</button>
                                                <button type="button" class="button small" on:click=move |_| toggle(t.clone())>{if r.rule.enabled { "Turn off" } else { "Turn on" }}</button>
                                                <button type="button" class="button small danger" aria-label=format!("Delete rule {}", r.rule.name) on:click=move |_| remove(d.clone())>"Delete"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            {admin.then(|| view! { <RuleForm editing on_saved=reload/> })}
        </section>
    }
}

#[component]
fn RuleForm(editing: RwSignal<Option<RuleView>>, on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let metric = RwSignal::new(String::from("cpu"));
    let scope = RwSignal::new(String::from("host"));
    let scope_id = RwSignal::new(String::new());
    let condition = RwSignal::new(String::from("above"));
    let threshold = RwSignal::new(String::from("90"));
    let for_s = RwSignal::new(String::from("300"));
    let severity = RwSignal::new(String::from("warning"));
    let email = RwSignal::new(true);
    let webhook = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    // Editing a rule fills the form with it.
    Effect::new(move |_| {
        if let Some(r) = editing.get() {
            let r = r.rule;
            name.set(r.name.clone());
            metric.set(r.metric.clone());
            let (kind, id) = match &r.scope {
                Scope::Host => ("host", String::new()),
                Scope::Pier => ("pier", String::new()),
                Scope::AllVps => ("all_vps", String::new()),
                Scope::UserVps { user_id } => ("user_vps", user_id.to_string()),
                Scope::Vps { id } => ("vps", id.to_string()),
                Scope::Container { id } => ("container", id.clone()),
                Scope::Site { name } => ("site", name.clone()),
            };
            scope.set(kind.into());
            scope_id.set(id);
            condition.set(if r.condition == Condition::Below { "below" } else { "above" }.into());
            threshold.set(r.threshold.to_string());
            for_s.set(r.for_s.to_string());
            severity.set(r.severity.as_str().into());
            email.set(r.channels.contains(&Channel::Email));
            webhook.set(r.channels.contains(&Channel::Webhook));
            error.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = (|| {
            let id = || scope_id.get_untracked().trim().to_string();
            let num = || id().parse::<i64>().map_err(|_| ApiError::invalid("scope", "Give the id of the VPS or user."));
            let scope = match scope.get_untracked().as_str() {
                "pier" => Scope::Pier,
                "all_vps" => Scope::AllVps,
                "user_vps" => Scope::UserVps { user_id: num()? },
                "vps" => Scope::Vps { id: num()? },
                "container" => Scope::Container { id: id() },
                "site" => Scope::Site { name: id() },
                _ => Scope::Host,
            };
            let mut channels = vec![Channel::InApp];
            if email.get_untracked() {
                channels.push(Channel::Email);
            }
            if webhook.get_untracked() {
                channels.push(Channel::Webhook);
            }
            let rule = RuleInput {
                name: name.get_untracked().trim().to_string(),
                metric: metric.get_untracked().trim().to_string(),
                scope,
                condition: if condition.get_untracked() == "below" { Condition::Below } else { Condition::Above },
                threshold: threshold.get_untracked().trim().parse().map_err(|_| ApiError::invalid("threshold", "The threshold is a number."))?,
                for_s: for_s.get_untracked().trim().parse().map_err(|_| ApiError::invalid("for_s", "\"For\" is a whole number of seconds."))?,
                severity: Severity::parse(&severity.get_untracked()),
                channels,
                enabled: editing.get_untracked().is_none_or(|r| r.rule.enabled),
            };
            rule.validate().map(|_| rule)
        })();
        let rule = match parsed {
            Ok(r) => r,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        let id = editing.get_untracked().map(|r| r.id);
        spawn_local(async move {
            match save_alert_rule(id, rule).await {
                Ok(r) => {
                    toasts.success(format!("Rule {} is saved.", r.rule.name));
                    name.set(String::new());
                    editing.set(None);
                    let _ = on_saved.try_run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let select = |id: &'static str, label: &'static str, value: RwSignal<String>, options: &'static [(&'static str, &'static str)]| view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                {options.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
        </div>
    };
    view! {
        <h3>{move || match editing.get() { Some(r) => format!("Change rule {}", r.rule.name), None => "New rule".to_string() }}</h3>
        <form class="stack-form" on:submit=submit novalidate=true>
            <TextField id="rule-name" label="Rule name" value=name error field="name"/>
            <TextField id="rule-metric" label="Metric (cpu, mem_used_pct, disk./.used_pct, load1, …)" value=metric error field="metric"/>
            {select("rule-scope", "On", scope, &[("host", "This machine"), ("pier", "Pier"), ("all_vps", "Every VPS"), ("user_vps", "A user's VPSs (user id)"), ("vps", "One VPS (id)"), ("container", "One container (id)"), ("site", "One site (name)")])}
            <TextField id="rule-scope-id" label="Id or name (when the scope needs one)" value=scope_id error field="scope"/>
            {select("rule-condition", "Condition", condition, &[("above", "Above"), ("below", "Below")])}
            <TextField id="rule-threshold" label="Threshold" value=threshold error field="threshold"/>
            <TextField id="rule-for" label="For (seconds)" value=for_s error field="for_s"/>
            {select("rule-severity", "Severity", severity, &[("info", "Info"), ("warning", "Warning"), ("critical", "Critical")])}
            <label class="check"><input type="checkbox" prop:checked=move || email.get() on:change=move |ev| email.set(event_target_checked(&ev))/>" Email"</label>
            <label class="check"><input type="checkbox" prop:checked=move || webhook.get() on:change=move |ev| webhook.set(event_target_checked(&ev))/>" Webhook"</label>
            <button type="submit" class="button primary">{move || if editing.get().is_some() { "Save rule" } else { "Add rule" }}</button>
            <Show when=move || editing.get().is_some()>
                <button type="button" class="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            </Show>
        </form>
        {form_error(error)}
    }
}
