//! The audit log: who did what, to what, from where, and how it ended. Staff see every entry;
//! others see their own (the server decides).

use crate::api::list_audit;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::format::short_time;
use leptos::prelude::*;
use leptos_meta::Title;
use pier_proto::audit::AuditQuery;

const PAGE: u32 = 50;

#[component]
pub fn AuditPage() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    // Applied filters + paging cursor; editing the inputs does not refetch until "Apply".
    let applied = RwSignal::new(AuditQuery { limit: Some(PAGE), ..Default::default() });
    let entries = Resource::new(move || applied.get(), list_audit);
    let opt = |s: String| {
        let s = s.trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(AuditQuery {
            actor: opt(actor.get_untracked()),
            action: opt(action.get_untracked()),
            outcome: opt(outcome.get_untracked()),
            target: opt(target.get_untracked()),
            limit: Some(PAGE),
            ..Default::default()
        });
    };
    view! {
        <Title text="Audit log"/>
        <div class="page-head">
            <h1>"Audit log"</h1>
            <p class="muted">"Every change, sign-in and refusal, newest first."</p>
        </div>
        <section class="card">
            <form class="inline-form" on:submit=apply>
                <div class="field">
                    <label for="audit-actor">"Actor"</label>
                    <input id="audit-actor" type="text" prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        <option value="auth.">"sign-in and out"</option>
                        <option value="user.">"accounts"</option>
                        <option value="session.">"sessions"</option>
                        <option value="job.">"jobs"</option>
                        <option value="setup.">"setup"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="audit-outcome">"Outcome"</label>
                    <select id="audit-outcome" on:change=move |ev| outcome.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        <option value="success">"success"</option>
                        <option value="failure">"failure"</option>
                        <option value="denied">"denied"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="audit-target">"Target"</label>
                    <input id="audit-target" type="text" placeholder="user:3, job:12" prop:value=move || target.get()
                           on:input=move |ev| target.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="button">"Apply"</button>
            </form>
        </section>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading entries…"</p> }>
                {move || entries.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState icon="audit" title="No entries" text="Nothing matches these filters."/>
                    }.into_any(),
                    Ok(list) => {
                        let oldest = list.last().map(|e| e.id);
                        let full = list.len() as u32 >= PAGE;
                        view! {
                            <div class="table-wrap">
                                <table class="table audit">
                                    <thead><tr><th scope="col">"When"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                                        <th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th><th scope="col">"Detail"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|e| {
                                            let (action, outcome) = (e.action.clone(), e.outcome.clone());
                                            let badge = match e.outcome.as_str() { "success" => "badge badge-succeeded", "denied" => "badge badge-failed", _ => "badge badge-queued" };
                                            view! {
                                                <tr data-action=action data-outcome=outcome>
                                                    <td class="muted small">{short_time(&e.at)}</td>
                                                    <td>{e.actor_name}</td>
                                                    <td><code>{e.action}</code></td>
                                                    <td>{e.target}</td>
                                                    <td><span class=badge>{e.outcome.clone()}</span></td>
                                                    <td class="small">{e.ip.unwrap_or_else(|| "-".into())}</td>
                                                    <td class="small muted">{e.detail}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {(full && oldest.is_some()).then(|| view! {
                                <div class="pager">
                                    <button type="button" class="button small"
                                            on:click=move |_| applied.update(|q| q.before_id = oldest)>"Older entries"</button>
                                </div>
                            })}
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
