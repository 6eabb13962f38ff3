//! Global search: names (prefix, accents, case, a typo), emails, phones in any
//! format, domains, deal names and note text, ranked, with the field matched;
//! and search composed with list filters.

use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

fn ids(a: &Value) -> Vec<String> {
    a["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn finds_anything_by_what_people_type() {
    for app in TestApp::all().await {
        let n = app.name();
        let org =
            app.create("organizations", json!({"name": "Société Générale d'Électricité", "domains": ["sge-energie.fr"]})).await;
        let ada = app
            .create(
                "people",
                json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada.lovelace@analytical.example"], "phones": ["06 12 34 56 78"],
                       "organizations": [{"id": org["id"], "role": "CTO"}]}),
            )
            .await;
        let eric =
            app.create("people", json!({"first_name": "Éric", "last_name": "Dupont", "phones": ["+1 415 555 2671"]})).await;
        let deal = app.create("deals", json!({"name": "Turbine maintenance 2027", "organization_id": org["id"]})).await;
        let note = app
            .create(
                "activities",
                json!({"type": "note", "body": "Customer asked about the blue widget warranty", "people": [ada["id"]]}),
            )
            .await;

        let search = |q: &str| format!("/api/v1/search?q={}", enc(q));
        let cases: Vec<(&str, &Value, &str)> = vec![
            ("ada", &ada, "name"),
            ("LOVEL", &ada, "name"),
            ("lovelase", &ada, "name"),
            ("eric dup", &eric, "name"),
            ("e dupont", &eric, "name"),
            ("ERIC", &eric, "name"),
            ("ada.lovelace@analytical.example", &ada, "emails"),
            ("+33 6 12 34 56 78", &ada, "phones"),
            ("0612345678", &ada, "phones"),
            ("(415) 555-2671", &eric, "phones"),
            ("societe generale", &org, "name"),
            ("sge-energie.fr", &org, "domains"),
            ("turbine", &deal, "name"),
            ("widget warranty", &note, "body"),
        ];
        for (q, expected, field) in cases {
            let a = app.get(&search(q)).await;
            assert_eq!(a.status, StatusCode::OK, "[{n}] {q}: {}", a.body);
            let first = &a.body["items"][0];
            assert_eq!(first["id"], expected["id"], "[{n}] '{q}' should find {} first: {}", expected["id"], a.body);
            assert_eq!(first["matched_field"], field, "[{n}] '{q}' matched field: {}", a.body);
        }
        let none = app.get(&search("zzyzx")).await;
        assert!(ids(&none.body).is_empty(), "[{n}] nothing like zzyzx: {}", none.body);
        assert_eq!(app.get("/api/v1/search?q=").await.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(app.get("/api/v1/search?q=ada&kinds=users").await.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");

        // Only the kinds asked for.
        let only_orgs = app.get(&format!("{}&kinds=organizations", search("societe"))).await;
        assert!(only_orgs.body["items"].as_array().unwrap().iter().all(|h| h["kind"] == "organization"), "[{n}]");

        // Changes and deletions reach the index in the same transaction.
        let path = format!("/api/v1/people/{}", eric["id"].as_str().unwrap());
        app.patch(&path, json!({"last_name": "Durand"})).await;
        assert!(ids(&app.get(&search("durand")).await.body).contains(&eric["id"].as_str().unwrap().to_string()), "[{n}] renamed");
        assert!(
            !ids(&app.get(&search("dupont")).await.body).contains(&eric["id"].as_str().unwrap().to_string()),
            "[{n}] old name gone"
        );
        app.delete(&path).await;
        assert!(
            !ids(&app.get(&search("durand")).await.body).contains(&eric["id"].as_str().unwrap().to_string()),
            "[{n}] deleted"
        );
    }
}

#[tokio::test]
async fn search_composes_with_list_filters() {
    for app in TestApp::all().await {
        let n = app.name();
        for (first, stage) in [("Marie", "lead"), ("Marianne", "customer"), ("Paul", "lead")] {
            app.create("people", json!({"first_name": first, "last_name": "Curie", "lifecycle_stage": stage})).await;
        }
        let names = |a: &Value| -> Vec<String> {
            let mut v: Vec<String> =
                a["items"].as_array().unwrap().iter().map(|p| p["first_name"].as_str().unwrap().to_string()).collect();
            v.sort();
            v
        };
        let a = app.get("/api/v1/people?q=mari&lifecycle_stage=lead").await;
        assert_eq!(names(&a.body), vec!["Marie"], "[{n}] {}", a.body);
        let a = app.get("/api/v1/people?q=curie&sort=first_name").await;
        assert_eq!(names(&a.body), vec!["Marianne", "Marie", "Paul"], "[{n}] {}", a.body);
        assert_eq!(app.get("/api/v1/users?q=ada").await.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
    }
}

/// A word that thousands of records share (a company's email domain on all
/// its people) is read as a whole word; the organization named just that
/// still comes first, and the word being typed still finds longer ones.
#[tokio::test]
async fn a_crowded_word_still_finds_its_organization_first() {
    for app in TestApp::all().await {
        let n = app.name();
        let scope = rapport_store::Scope::system(app.scope.workspace_id, rapport_store::Via::Cli);
        let people: Vec<_> = (0..260)
            .map(|i| {
                rapport_testkit::obj(json!({"first_name": format!("P{i}"), "last_name": "Staff",
                                            "emails": [format!("p{i}@lumen.example")]}))
            })
            .collect();
        app.store.create_many(&scope, rapport_domain::Kind::Person, &people).await.unwrap();
        let other = app.create("organizations", json!({"name": "Lumenis Optics"})).await;
        let lumen = app.create("organizations", json!({"name": "Lumen"})).await;

        let a = app.get("/api/v1/search?q=Lumen").await;
        assert_eq!(a.status, StatusCode::OK, "[{n}] {}", a.body);
        assert_eq!(ids(&a.body).first(), Some(&lumen["id"].as_str().unwrap().to_string()), "[{n}] {}", a.body);
        assert!(ids(&a.body).len() > 10, "[{n}] the people who share the word are found too: {}", a.body);

        let typed = app.get("/api/v1/search?q=lumeni").await;
        assert_eq!(ids(&typed.body), [other["id"].as_str().unwrap()], "[{n}] {}", typed.body);
    }
}

/// A typo in any word of a name: each word is corrected from the vocabulary
/// of the workspace's names, which follows every write.
#[tokio::test]
async fn a_typo_in_any_word_still_finds_the_record() {
    for app in TestApp::all().await {
        let n = app.name();
        let john = app.create("people", json!({"first_name": "John", "last_name": "Smith"})).await;
        let joan = app.create("people", json!({"first_name": "Joan", "last_name": "Smyth"})).await;
        let org = app.create("organizations", json!({"name": "Harborview Logistics"})).await;
        let first = |body: &Value| ids(body).first().cloned().unwrap_or_default();
        let search = |q: &str| format!("/api/v1/search?q={}", enc(q));
        for (q, expected) in [
            ("jhon smith", &john),
            ("john smiht", &john),
            ("joan smith", &joan),
            ("harborveiw", &org),
            ("harborview logistcs", &org),
            // A wrong first letter: found through the trigrams the words share.
            ("jarborview", &org),
        ] {
            let a = app.get(&search(q)).await;
            assert_eq!(a.status, StatusCode::OK, "[{n}] {q}: {}", a.body);
            assert_eq!(
                first(&a.body),
                expected["id"].as_str().unwrap(),
                "[{n}] '{q}' should find {}: {}",
                expected["id"],
                a.body
            );
        }
        // Corrections stay close: another first name is not a typo of this one.
        let a = app.get(&search("jhon smiht")).await;
        assert!(!ids(&a.body).contains(&joan["id"].as_str().unwrap().to_string()), "[{n}] {}", a.body);
        assert!(ids(&app.get(&search("qqqq xxxxx")).await.body).is_empty(), "[{n}]");

        // Names written later are corrected too: a new person, a new name.
        let zoltan = app.create("people", json!({"first_name": "Zoltan", "last_name": "Kovacs"})).await;
        assert_eq!(first(&app.get(&search("zoltan kovasc")).await.body), zoltan["id"].as_str().unwrap(), "[{n}] created");
        let path = format!("/api/v1/people/{}", zoltan["id"].as_str().unwrap());
        app.patch(&path, json!({"last_name": "Kovalenko"})).await;
        assert_eq!(first(&app.get(&search("zoltan kovalenco")).await.body), zoltan["id"].as_str().unwrap(), "[{n}] renamed");
    }
}
