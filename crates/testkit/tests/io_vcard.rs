//! Importing vCard 3.0 and 4.0 files with many cards, from real-world test
//! files (see tests/io_data/README.md).

mod io_support;

use io_support::{counts, data, get_text, import};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

fn by_first<'a>(people: &'a [Value], first: &str) -> &'a Value {
    people.iter().find(|p| p["first_name"] == first).unwrap_or_else(|| panic!("no {first} in {people:?}"))
}

#[tokio::test]
async fn vcard_30_file_with_five_cards() {
    for app in TestApp::all().await {
        let n = app.name();
        let job = import(&app, "kind=people", "text/vcard", data("vcard30-five-cards.vcf")).await;
        assert_eq!(job["format"], "vcard", "[{n}] found from the media type");
        assert_eq!(counts(&job), (5, 0, 0, 0), "[{n}] {job}");
        let people = app.list_all("/api/v1/people").await;
        assert_eq!(people.len(), 5, "[{n}]");
        let lenn = by_first(&people, "Lenn");
        assert_eq!(lenn["last_name"], "Biernoth", "[{n}]");
        assert_eq!(lenn["birthday"], "1951-11-22", "[{n}]");
        assert_eq!(lenn["title"], "Strassenreiniger", "[{n}]");
        assert_eq!(lenn["tags"], json!(["Familie"]), "[{n}]");
        assert_eq!(lenn["emails"][0]["address"], "lenn@lbi.net", "[{n}]");
        assert_eq!(lenn["emails"][0]["label"], "home", "[{n}]");
        assert_eq!(by_first(&people, "Ludwig-Götz")["last_name"], "Graßl", "[{n}] UTF-8 kept");
        // Cards with an email are found again; the two without any key cannot be.
        let again = import(&app, "kind=people", "text/vcard", data("vcard30-five-cards.vcf")).await;
        assert_eq!(counts(&again), (2, 0, 3, 0), "[{n}] {again}");
    }
}

#[tokio::test]
async fn vcard_40_file_rejects_the_bad_card() {
    for app in TestApp::all().await {
        let n = app.name();
        let ws = app.patch("/api/v1/workspace", json!({"phone_region": "DE"})).await;
        assert_eq!(ws.status, StatusCode::OK, "[{n}] {}", ws.body);
        let job =
            import(&app, "kind=people&file_name=contacts.vcf", "application/octet-stream", data("vcard40-two-cards.vcf")).await;
        assert_eq!(job["format"], "vcard", "[{n}] found from the file name");
        assert_eq!(counts(&job), (1, 0, 0, 1), "[{n}] {job}");
        let errors = job["errors"].as_array().unwrap();
        assert!(errors.iter().all(|e| e["row"] == 2), "[{n}] the second card: {job}");
        let columns: Vec<&str> = errors.iter().filter_map(|e| e["column"].as_str()).collect();
        assert!(columns.contains(&"TEL"), "[{n}] {job}");
        assert!(columns.contains(&"BDAY"), "[{n}] {job}");
        let people = app.list_all("/api/v1/people").await;
        let gerda = by_first(&people, "Gerda");
        assert_eq!(gerda["last_name"], "Möhrke", "[{n}]");
        assert_eq!(gerda["external_id"], "9e49143d-201c-46cc-b1ca-b84cac8211e9", "[{n}] UID");
        assert_eq!(gerda["phones"][0]["label"], "work", "[{n}] {gerda}");
        let org = app.get(&format!("/api/v1/organizations/{}", gerda["organizations"][0]["id"].as_str().unwrap())).await;
        assert_eq!(org.body["name"], "KiTa Öhrdingen", "[{n}]");
        // The rejected card, as CSV with the vCard's columns.
        let (_, _, rejects) = get_text(&app, job["links"]["rejects"].as_str().unwrap()).await;
        assert!(rejects.starts_with("UID,KIND,FN,N.family,N.given,"), "[{n}] {rejects}");
        assert!(rejects.contains("Mustermann"), "[{n}] {rejects}");
        let again = import(&app, "kind=people", "text/vcard", data("vcard40-two-cards.vcf")).await;
        assert_eq!(counts(&again), (0, 0, 1, 1), "[{n}] matched by UID: {again}");
    }
}

#[tokio::test]
async fn apple_contacts_card() {
    for app in TestApp::all().await {
        let n = app.name();
        app.patch("/api/v1/workspace", json!({"phone_region": "CA"})).await;
        let job = import(&app, "kind=people", "text/vcard", data("vcard30-apple.vcf")).await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
        let p = &app.list_all("/api/v1/people").await[0];
        assert_eq!(p["first_name"], "John", "[{n}]");
        assert_eq!(p["last_name"], "Doe", "[{n}]");
        assert_eq!(p["title"], "Money Counter", "[{n}]");
        assert_eq!(p["birthday"], "1980-03-22", "[{n}]");
        assert_eq!(p["emails"][0]["address"], "john.doe@ibm.com", "[{n}]");
        let labels: Vec<&str> = p["phones"].as_array().unwrap().iter().filter_map(|x| x["label"].as_str()).collect();
        assert_eq!(labels, vec!["mobile", "home"], "[{n}] {p}");
        assert!(p["address"]["street"].as_str().unwrap().contains("Crescent moon drive"), "[{n}] {p}");
        assert_eq!(p["organizations"].as_array().unwrap().len(), 1, "[{n}] IBM");
    }
}
