//! How each server function may be reached other than by a fully signed-in browser session:
//! with an API token (read-only or full scope) and while a person is held at the 2FA enrolment
//! step. The server's auth layer consults this table; the authorization test checks that every
//! registered server function is in it and that read-only tokens are refused every `Write`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed (the sign-in pages). Tokens have no use for these.
    Public,
    /// Changes nothing: read-only and full tokens may call it.
    Read,
    /// Changes state: full tokens only.
    Write,
    /// A browser session only, never a token: the person's own credentials, and consoles.
    SessionOnly,
}

pub const ACCESS: &[(&str, Access)] = &[
    ("whoami", Access::Public),
    ("login", Access::Public),
    ("login_second_factor", Access::Public),
    ("logout", Access::Public),
    ("setup_state", Access::Public),
    ("setup", Access::Public),
    ("reset_state", Access::Public),
    ("reset_password", Access::Public),
    ("list_jobs", Access::Read),
    ("start_job", Access::Write),
    ("cancel_job", Access::Write),
    ("health_report", Access::Read),
    ("list_users", Access::Read),
    ("create_user", Access::Write),
    ("update_user", Access::Write),
    ("delete_user", Access::Write),
    ("make_reset_link", Access::Write),
    ("reset_user_2fa", Access::Write),
    ("security_policy", Access::Read),
    ("set_security_policy", Access::Write),
    ("list_audit", Access::Read),
    ("list_ssh_keys", Access::Read),
    ("add_ssh_key", Access::Write),
    ("delete_ssh_key", Access::Write),
    ("list_hosts", Access::Read),
    ("save_host", Access::Write),
    ("delete_host", Access::Write),
    ("check_host", Access::Read),
    ("list_plans", Access::Read),
    ("save_plan", Access::Write),
    ("delete_plan", Access::Write),
    ("list_ip_pools", Access::Read),
    ("create_ip_pool", Access::Write),
    ("delete_ip_pool", Access::Write),
    ("list_images", Access::Read),
    ("register_image", Access::Write),
    ("delete_image", Access::Write),
    ("set_image_access", Access::Write),
    ("list_vps", Access::Read),
    ("list_engines", Access::Read),
    ("list_containers", Access::Read),
    ("container_images", Access::Read),
    ("create_container", Access::Write),
    ("container_action", Access::Write),
    ("delete_container", Access::Write),
    ("change_container", Access::Write),
    ("adopt_container", Access::Write),
    ("add_engine", Access::Write),
    ("remove_engine", Access::Write),
    ("engine_images", Access::Read),
    ("remove_engine_image", Access::Write),
    ("pull_engine_image", Access::Write),
    ("startup_script", Access::Read),
    ("get_container", Access::Read),
    ("save_startup_script", Access::Write),
    ("run_startup_script", Access::Write),
    ("create_vps", Access::Write),
    ("get_vps", Access::Read),
    ("vps_power", Access::Write),
    ("delete_vps", Access::Write),
    ("reinstall_vps", Access::Write),
    ("list_snapshots", Access::Read),
    ("snapshot_vps", Access::Write),
    ("change_expiry", Access::Write),
    ("set_root_password", Access::Write),
    // A console is interactive control of the machine: a person in a browser, not a token.
    ("console_ticket", Access::SessionOnly),
    ("my_sessions", Access::SessionOnly),
    ("revoke_session", Access::SessionOnly),
    ("change_password", Access::SessionOnly),
    ("two_factor_status", Access::SessionOnly),
    ("totp_begin", Access::SessionOnly),
    ("totp_confirm", Access::SessionOnly),
    ("totp_disable", Access::SessionOnly),
    ("new_recovery_codes", Access::SessionOnly),
    ("list_api_tokens", Access::SessionOnly),
    ("create_api_token", Access::SessionOnly),
    ("revoke_api_token", Access::SessionOnly),
];

/// Server functions a person may call while their role requires 2FA they have not set up.
pub const DURING_ENROLMENT: &[&str] = &["whoami", "logout", "two_factor_status", "totp_begin", "totp_confirm", "my_sessions"];

pub fn access_of(name: &str) -> Option<Access> {
    ACCESS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}
