//! What a list shows when there is nothing in it: say so, and say what to do.

use super::icon::Icon;
use leptos::prelude::*;

#[component]
pub fn EmptyState(
    #[prop(into)] icon: String,
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty">
            <div class="empty-icon"><Icon name=icon/></div>
            <h2>{title}</h2>
            <p>{text}</p>
            {children.map(|c| c())}
        </div>
    }
}
