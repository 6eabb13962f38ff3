//! The REST API under `/api/v1`.

pub mod access;
pub mod automation;
pub mod dedupe;
pub mod io;
pub mod objects;
pub mod records;
pub mod settings;
pub mod workflows;

use axum::Router;
use axum::routing::{get, post};
use rapport_domain::Kind;

use crate::AppState;

/// Every API route. The OpenAPI document lists the same set, and a test holds them equal.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for kind in Kind::ALL {
        let c = kind.collection();
        let item = {
            let m = get(move |s, a, p, q| records::get(kind, s, a, p, q))
                .patch(move |s, a, p, h, b| records::patch(kind, s, a, p, h, b));
            if kind == Kind::User { m } else { m.delete(move |s, a, p, h| records::delete(kind, s, a, p, h)) }
        };
        r = r
            .route(
                &format!("/api/v1/{c}"),
                get(move |s, a, q| records::list(kind, s, a, q)).post(move |s, a, h, b| records::create(kind, s, a, h, b)),
            )
            .route(&format!("/api/v1/{c}/bulk"), post(move |s, a, b| records::bulk_create(kind, s, a, b)))
            .route(&format!("/api/v1/{c}/{{id}}"), item)
            .route(&format!("/api/v1/{c}/{{id}}/history"), get(move |s, a, p, q| records::history(kind, s, a, p, q)));
        if rapport_domain::access::owner_column(kind).is_some() {
            r = r
                .route(
                    &format!("/api/v1/{c}/{{id}}/shares"),
                    get(move |s, a, p| access::list_shares(kind, s, a, p))
                        .post(move |s, a, p, b| access::create_share(kind, s, a, p, b)),
                )
                .route(
                    &format!("/api/v1/{c}/{{id}}/shares/{{share_id}}"),
                    axum::routing::delete(move |s, a, p| access::delete_share(kind, s, a, p)),
                );
        }
        if rapport_store::dedupe::KINDS.contains(&kind) {
            r = r
                .route(&format!("/api/v1/{c}/check-duplicates"), post(move |s, a, b| dedupe::check(kind, s, a, b)))
                .route(&format!("/api/v1/{c}/duplicates"), get(move |s, a| dedupe::scan(kind, s, a)))
                .route(&format!("/api/v1/{c}/{{id}}/merge"), post(move |s, a, p, b| dedupe::merge(kind, s, a, p, b)));
        }
        if kind.has_timeline() {
            r = r
                .route(&format!("/api/v1/{c}/{{id}}/timeline"), get(move |s, a, p, q| records::timeline(kind, s, a, p, q)))
                .route(&format!("/api/v1/{c}/{{id}}/related"), get(move |s, a, p| objects::related(kind, s, a, p)));
        }
    }
    r.route("/api/v1/object-types", get(objects::list_types).post(objects::create_type))
        .route("/api/v1/object-types/{key}", get(objects::get_type).patch(objects::patch_type).delete(objects::delete_type))
        .route("/api/v1/object-types/{key}/fields", get(objects::list_fields).post(objects::create_field))
        .route(
            "/api/v1/object-types/{key}/fields/{field}",
            axum::routing::patch(objects::patch_field).delete(objects::delete_field),
        )
        .route("/api/v1/object-types/{key}/fields/{field}/restore", post(objects::restore_field))
        .route("/api/v1/object-types/{key}/fields/{field}/purge", post(objects::purge_field))
        .route("/api/v1/objects/{type}", get(objects::list).post(objects::create))
        .route("/api/v1/objects/{type}/{id}", get(objects::get).patch(objects::patch).delete(objects::delete))
        .route("/api/v1/objects/{type}/check-duplicates", post(dedupe::check_objects))
        .route("/api/v1/objects/{type}/duplicates", get(dedupe::scan_objects))
        .route("/api/v1/objects/{type}/{id}/timeline", get(objects::timeline))
        .route("/api/v1/objects/{type}/{id}/history", get(objects::history))
        .route("/api/v1/objects/{type}/{id}/related", get(objects::related_object))
        .route("/api/v1/deals/{id}/stage-history", get(records::stage_history))
        .route("/api/v1/me", get(access::me))
        .route("/api/v1/webhooks", get(automation::list_webhooks).post(automation::create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            get(automation::get_webhook).patch(automation::patch_webhook).delete(automation::delete_webhook),
        )
        .route("/api/v1/webhooks/{id}/secret", post(automation::rotate_webhook_secret))
        .route("/api/v1/webhooks/{id}/deliveries", get(automation::deliveries))
        .route("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", post(automation::redeliver))
        .route("/api/v1/jobs", get(automation::jobs))
        .route("/api/v1/assignment-rules", get(workflows::list_rules).post(workflows::create_rule))
        .route(
            "/api/v1/assignment-rules/{id}",
            get(workflows::get_rule).patch(workflows::patch_rule).delete(workflows::delete_rule),
        )
        .route("/api/v1/workflows", get(workflows::list_workflows).post(workflows::create_workflow))
        .route(
            "/api/v1/workflows/{id}",
            get(workflows::get_workflow).patch(workflows::patch_workflow).delete(workflows::delete_workflow),
        )
        .route("/api/v1/workflows/{id}/secret", post(workflows::rotate_secret))
        .route("/api/v1/workflows/{id}/runs", get(workflows::runs))
        .route("/api/v1/notifications", get(automation::notifications))
        .route("/api/v1/notifications/{id}/read", post(automation::read_notification))
        .route("/api/v1/search", get(records::search))
        .route("/api/v1/tokens", get(access::list_tokens).post(access::create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(access::revoke_token))
        .route("/api/v1/users/{id}/reassign", post(access::reassign))
        .route("/api/v1/workspace/visibility", get(access::get_visibility).patch(access::patch_visibility))
        .route("/api/v1/audit", get(access::audit_log))
        .route("/api/v1/people/{id}/privacy-export", get(access::privacy_export))
        .route("/api/v1/people/{id}/erase", post(access::privacy_erase))
        .route("/api/v1/workspace", get(settings::get_workspace).patch(settings::patch_workspace))
        .route("/api/v1/pipelines", get(settings::list_pipelines).post(settings::create_pipeline))
        .route(
            "/api/v1/pipelines/{id}",
            get(settings::get_pipeline).put(settings::put_pipeline).delete(settings::delete_pipeline),
        )
        .route("/api/v1/custom-fields/{collection}", get(settings::list_custom_fields).post(settings::create_custom_field))
        .route("/api/v1/custom-fields/{collection}/order", axum::routing::put(settings::reorder_custom_fields))
        .route(
            "/api/v1/custom-fields/{collection}/{key}",
            get(settings::get_custom_field).patch(settings::patch_custom_field).delete(settings::delete_custom_field),
        )
        .route("/api/v1/custom-fields/{collection}/{key}/restore", axum::routing::post(settings::restore_custom_field))
        .route("/api/v1/custom-fields/{collection}/{key}/purge", axum::routing::post(settings::purge_custom_field))
        .merge(io::routes())
}
