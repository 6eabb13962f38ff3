//! Word lists the demo company is composed from. Everything is fictional:
//! phone numbers come from ranges the regulators keep for films and books, and
//! email domains end in `.example`, which never resolves.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Country {
    Fr,
    Us,
    De,
    Gb,
}

#[derive(Debug)]
pub struct City {
    pub name: &'static str,
    pub region: &'static str,
    pub postal_code: &'static str,
    /// The fictional number range, after the trunk prefix (see `Country::phone`).
    pub dial: &'static str,
}

const fn city(name: &'static str, region: &'static str, postal_code: &'static str, dial: &'static str) -> City {
    City { name, region, postal_code, dial }
}

impl Country {
    pub const ALL: [Country; 4] = [Country::Fr, Country::Us, Country::De, Country::Gb];

    pub fn code(self) -> &'static str {
        match self {
            Country::Fr => "FR",
            Country::Us => "US",
            Country::De => "DE",
            Country::Gb => "GB",
        }
    }

    /// How a subsidiary there is named: `Cobalt Deutschland GmbH`.
    pub fn local_name(self) -> &'static str {
        match self {
            Country::Fr => "France",
            Country::Us => "USA",
            Country::De => "Deutschland",
            Country::Gb => "UK",
        }
    }

    pub fn currency(self) -> &'static str {
        match self {
            Country::Fr | Country::De => "EUR",
            Country::Us => "USD",
            Country::Gb => "GBP",
        }
    }

    /// How often organizations are based here.
    pub fn weight(self) -> u32 {
        match self {
            Country::Fr => 45,
            Country::Us => 20,
            Country::De => 18,
            Country::Gb => 17,
        }
    }

    pub fn cities(self) -> &'static [City] {
        match self {
            Country::Fr => FR_CITIES,
            Country::Us => US_CITIES,
            Country::De => DE_CITIES,
            Country::Gb => GB_CITIES,
        }
    }

    pub fn streets(self) -> &'static [&'static str] {
        match self {
            Country::Fr => &[
                "rue de la République",
                "avenue Victor Hugo",
                "boulevard Voltaire",
                "rue du Faubourg Saint-Denis",
                "quai des Chartrons",
                "rue Nationale",
                "avenue Jean Jaurès",
                "rue des Tanneurs",
                "place du Marché",
                "allée des Tilleuls",
            ],
            Country::Us => &[
                "Market Street",
                "Main Street",
                "Oak Avenue",
                "Harbor Boulevard",
                "Elm Street",
                "Lakeview Drive",
                "Congress Avenue",
                "Pine Street",
                "Commerce Way",
                "Union Square",
            ],
            Country::De => &[
                "Hauptstraße",
                "Bahnhofstraße",
                "Lindenallee",
                "Gartenweg",
                "Schillerstraße",
                "Am Hafen",
                "Industriestraße",
                "Marktplatz",
                "Goethestraße",
                "Mühlenweg",
            ],
            Country::Gb => &[
                "High Street",
                "Station Road",
                "King Street",
                "Church Lane",
                "Victoria Road",
                "Mill Lane",
                "Queen's Parade",
                "Park Road",
                "Castle Street",
                "Bridge Street",
            ],
        }
    }

    /// Street address in the country's usual order.
    pub fn street_line(self, number: u32, street: &str) -> String {
        match self {
            Country::De => format!("{street} {number}"),
            Country::Fr => format!("{number} {street}"),
            Country::Us | Country::Gb => format!("{number} {street}"),
        }
    }

    pub fn legal_forms(self) -> &'static [&'static str] {
        match self {
            Country::Fr => &["SAS", "SA", "SARL"],
            Country::Us => &["Inc.", "LLC", "Corp."],
            Country::De => &["GmbH", "AG", "GmbH & Co. KG"],
            Country::Gb => &["Ltd", "plc", "LLP"],
        }
    }

    /// 0 for French, 1 for German, 2 for English: the column of `INDUSTRIES`.
    pub fn language(self) -> usize {
        match self {
            Country::Fr => 0,
            Country::De => 1,
            Country::Us | Country::Gb => 2,
        }
    }

    /// A phone number from the city's fictional range, written as people there
    /// would (`national`) or with the country code. `digits` picks the number
    /// within the range.
    pub fn phone(self, city: &City, digits: u32, national: bool, style: u32) -> String {
        match self {
            Country::Fr => {
                let (a, b) = (digits / 100 % 100, digits % 100);
                match (national, style % 3) {
                    (true, 0) => format!("0{} {a:02} {b:02}", city.dial),
                    (true, 1) => format!("0{} {a:02} {b:02}", city.dial).replace(' ', "."),
                    (true, _) => format!("0{}{a:02}{b:02}", city.dial.replace(' ', "")),
                    (false, _) => format!("+33 {} {a:02} {b:02}", city.dial),
                }
            }
            Country::Us => {
                let n = digits % 100;
                match (national, style % 3) {
                    (true, 0) => format!("({}) 555-01{n:02}", city.dial),
                    (true, 1) => format!("{}-555-01{n:02}", city.dial),
                    (true, _) => format!("{}.555.01{n:02}", city.dial),
                    (false, 0) => format!("+1 ({}) 555-01{n:02}", city.dial),
                    (false, _) => format!("+1 {}-555-01{n:02}", city.dial),
                }
            }
            Country::De => {
                let n = digits % 1000;
                let (area, local) = city.dial.split_once(' ').unwrap_or((city.dial, ""));
                match (national, style % 2) {
                    (true, 0) => format!("0{area} {local}{n:03}"),
                    (true, _) => format!("0{area} {local}-{n:03}"),
                    (false, _) => format!("+49 {area} {local} {n:03}"),
                }
            }
            Country::Gb => {
                let n = digits % 1000;
                if national { format!("0{}{n:03}", city.dial) } else { format!("+44 {}{n:03}", city.dial) }
            }
        }
    }

    /// Given and family names common in the country.
    pub fn names(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Country::Fr => (FR_FIRST, FR_LAST),
            Country::Us => (US_FIRST, US_LAST),
            Country::De => (DE_FIRST, DE_LAST),
            Country::Gb => (GB_FIRST, GB_LAST),
        }
    }

    pub fn time_zone(self) -> &'static str {
        match self {
            Country::Fr => "Europe/Paris",
            Country::Us => "America/New_York",
            Country::De => "Europe/Berlin",
            Country::Gb => "Europe/London",
        }
    }
}

// Fictional ranges: France 01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49;
// the US 555-0100 to 555-0199; Germany's drama numbers; Ofcom's drama numbers.
static FR_CITIES: &[City] = &[
    city("Paris", "Île-de-France", "75011", "1 99 00"),
    city("Paris", "Île-de-France", "75008", "1 99 00"),
    city("Lyon", "Auvergne-Rhône-Alpes", "69003", "4 65 71"),
    city("Marseille", "Provence-Alpes-Côte d'Azur", "13008", "4 65 71"),
    city("Nantes", "Pays de la Loire", "44000", "2 61 91"),
    city("Rennes", "Bretagne", "35000", "2 61 91"),
    city("Lille", "Hauts-de-France", "59000", "3 53 01"),
    city("Strasbourg", "Grand Est", "67000", "3 53 01"),
    city("Bordeaux", "Nouvelle-Aquitaine", "33000", "5 36 49"),
    city("Toulouse", "Occitanie", "31000", "5 36 49"),
];

static US_CITIES: &[City] = &[
    city("San Francisco", "CA", "94105", "415"),
    city("New York", "NY", "10001", "212"),
    city("Chicago", "IL", "60601", "312"),
    city("Boston", "MA", "02110", "617"),
    city("Seattle", "WA", "98101", "206"),
    city("Austin", "TX", "78701", "512"),
];

static DE_CITIES: &[City] = &[
    city("Berlin", "Berlin", "10115", "30 23125"),
    city("Frankfurt am Main", "Hessen", "60311", "69 90009"),
    city("Hamburg", "Hamburg", "20095", "40 66969"),
    city("Köln", "Nordrhein-Westfalen", "50667", "221 4710"),
    city("München", "Bayern", "80331", "89 99998"),
];

static GB_CITIES: &[City] = &[
    city("London", "Greater London", "EC1A 1BB", "20 7946 0"),
    city("Manchester", "Greater Manchester", "M1 1AE", "161 496 0"),
    city("Leeds", "West Yorkshire", "LS1 4AP", "113 496 0"),
    city("Bristol", "Bristol", "BS1 4ST", "117 496 0"),
    city("Edinburgh", "Scotland", "EH1 1YZ", "131 496 0"),
    city("Birmingham", "West Midlands", "B1 1BB", "121 496 0"),
];

static FR_FIRST: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Emma",
    "Juliette",
    "Louise",
    "Claire",
    "Nathalie",
    "Isabelle",
    "Sophie",
    "Élodie",
    "Amélie",
    "Hugo",
    "Lucas",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Maxime",
    "Pierre",
    "Olivier",
    "François",
    "Mathieu",
    "Guillaume",
    "Étienne",
    "Benoît",
    "Yann",
    "Karim",
    "Mehdi",
    "Nadia",
    "Yasmine",
    "Jérôme",
    "Aurélie",
    "Margaux",
    "Céline",
    "Baptiste",
    "Romain",
];
static FR_LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Perrin",
    "Benali",
    "Nguyen",
    "Haddad",
    "Le Gall",
    "Chevalier",
];
static US_FIRST: &[&str] = &[
    "James",
    "Mary",
    "Michael",
    "Jennifer",
    "David",
    "Linda",
    "Emily",
    "Daniel",
    "Jessica",
    "Matthew",
    "Ashley",
    "Christopher",
    "Sarah",
    "Andrew",
    "Megan",
    "Joshua",
    "Lauren",
    "Ryan",
    "Olivia",
    "Brandon",
    "Priya",
    "Wei",
    "Carlos",
    "Maria",
    "Jamal",
    "Keisha",
    "Kevin",
    "Rachel",
    "Tyler",
    "Hannah",
    "Grace",
    "Ethan",
];
static US_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Patel",
    "Kim",
    "Chen",
    "Rodriguez",
    "Hernandez",
    "Lopez",
    "O'Brien",
    "Murphy",
    "Cooper",
    "Reed",
];
static DE_FIRST: &[&str] = &[
    "Lukas",
    "Leon",
    "Finn",
    "Jonas",
    "Felix",
    "Maximilian",
    "Paul",
    "Tobias",
    "Stefan",
    "Andreas",
    "Jan",
    "Katharina",
    "Anna",
    "Lena",
    "Laura",
    "Julia",
    "Sabine",
    "Petra",
    "Ursula",
    "Jürgen",
    "Klaus",
    "Monika",
    "Sophie",
    "Marie",
    "Hannah",
    "Emre",
    "Ayşe",
    "Jörg",
];
static DE_LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Yılmaz",
    "Kaya",
];
static GB_FIRST: &[&str] = &[
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Charlie",
    "Thomas",
    "William",
    "James",
    "Alfie",
    "Amelia",
    "Olivia",
    "Isla",
    "Emily",
    "Poppy",
    "Ava",
    "Jessica",
    "Sophie",
    "Charlotte",
    "Eleanor",
    "Rhys",
    "Callum",
    "Fiona",
    "Siobhan",
    "Aisha",
    "Rohan",
    "Imogen",
    "Hamish",
];
static GB_LAST: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Campbell",
    "MacDonald",
    "Khan",
    "Ó Briain",
];

/// Names from elsewhere, so that every team looks like a real one.
pub static ELSEWHERE: &[(&[&str], &[&str])] = &[
    (&["Sofía", "Javier", "Lucía", "Pablo"], &["García", "Fernández", "López", "Martínez"]),
    (&["Giulia", "Marco", "Chiara", "Luca"], &["Rossi", "Bianchi", "Romano", "Esposito"]),
    (&["Kenji", "Yuki", "Haruto", "Aiko"], &["Watanabe", "Tanaka", "Suzuki", "Sato"]),
    (&["Ana", "João", "Beatriz", "Tiago"], &["Silva", "Santos", "Oliveira", "Costa"]),
    (&["Agnieszka", "Piotr", "Katarzyna", "Tomasz"], &["Nowak", "Kowalski", "Wiśniewska", "Wójcik"]),
    (&["Fatou", "Moussa", "Aminata", "Ibrahima"], &["Diallo", "Ndiaye", "Traoré", "Sow"]),
    (&["Lars", "Ingrid", "Sven", "Astrid"], &["Nielsen", "Johansson", "Larsen", "Lindqvist"]),
    (&["Arjun", "Ananya", "Rahul", "Divya"], &["Sharma", "Iyer", "Reddy", "Gupta"]),
];

/// First words of organization names.
pub static ROOTS: &[&str] = &[
    "Lumen",
    "Azur",
    "Boréal",
    "Cobalt",
    "Ardent",
    "Helio",
    "Vireo",
    "Nordlicht",
    "Orion",
    "Alto",
    "Quartz",
    "Cèdre",
    "Granite",
    "Opale",
    "Sillage",
    "Kestrel",
    "Harborview",
    "Pinecrest",
    "Bluefield",
    "Ironbridge",
    "Silverline",
    "Brightwater",
    "Stonegate",
    "Westbrook",
    "Oakridge",
    "Blackwood",
    "Greenhill",
    "Halcyon",
    "Meridian",
    "Tessera",
    "Arbor",
    "Corvid",
    "Elmstead",
    "Falkner",
    "Glenmore",
    "Hollis",
    "Juniper",
    "Larkspur",
    "Marlow",
    "Norcross",
    "Ostrava",
    "Pelican",
    "Quillon",
    "Rosenthal",
    "Saltmarsh",
    "Thornbury",
    "Ulmen",
    "Valmont",
    "Wexford",
    "Zephyr",
    "Aurore",
    "Bastide",
    "Calanque",
    "Dunmore",
    "Ebbtide",
    "Fjordline",
    "Grauwald",
    "Hanse",
    "Isar",
    "Jadeport",
];

/// Industry, and the word for it in a French, a German and an English company name.
pub static INDUSTRIES: &[(&str, [&str; 3])] = &[
    ("Software", ["Logiciels", "Software", "Software"]),
    ("Logistics", ["Logistique", "Logistik", "Logistics"]),
    ("Manufacturing", ["Industries", "Maschinenbau", "Manufacturing"]),
    ("Retail", ["Distribution", "Handel", "Retail"]),
    ("Healthcare", ["Santé", "Medizintechnik", "Health"]),
    ("Financial services", ["Finance", "Finanz", "Capital"]),
    ("Construction", ["Bâtiment", "Bau", "Construction"]),
    ("Food and beverage", ["Alimentaire", "Lebensmittel", "Foods"]),
    ("Energy", ["Énergie", "Energie", "Energy"]),
    ("Consulting", ["Conseil", "Beratung", "Consulting"]),
    ("Media", ["Médias", "Medien", "Media"]),
    ("Education", ["Formation", "Bildung", "Learning"]),
    ("Hospitality", ["Hôtels", "Hotels", "Hospitality"]),
    ("Telecommunications", ["Télécom", "Telekom", "Telecom"]),
    ("Transport", ["Transports", "Transport", "Transit"]),
];

pub static SIZES: &[(&str, u32)] =
    &[("1-10", 14), ("11-50", 30), ("51-200", 26), ("201-500", 14), ("501-1000", 8), ("1001-5000", 6), ("5001+", 2)];

pub static RELATIONSHIPS: &[(&str, u32)] =
    &[("customer", 35), ("prospect", 45), ("partner", 6), ("vendor", 5), ("supplier", 5), ("other", 4)];

pub static ORG_TAGS: &[&str] =
    &["key-account", "enterprise", "smb", "public-sector", "reseller", "referral-program", "multi-site"];

pub static TITLES: &[(&str, u32)] = &[
    ("CEO", 3),
    ("Managing Director", 3),
    ("CFO", 3),
    ("CTO", 3),
    ("Head of Sales", 5),
    ("Sales Manager", 7),
    ("Procurement Manager", 6),
    ("Purchasing Officer", 5),
    ("IT Director", 5),
    ("Operations Manager", 7),
    ("Office Manager", 5),
    ("Marketing Manager", 6),
    ("Finance Manager", 5),
    ("HR Manager", 4),
    ("Project Manager", 7),
    ("Customer Success Lead", 4),
    ("Software Engineer", 5),
    ("Account Executive", 4),
    ("Logistics Coordinator", 4),
];

pub static SIDE_ROLES: &[&str] = &["advisor", "consultant", "board member", "former employee"];

pub static LEAD_SOURCES: &[(&str, u32)] = &[
    ("website", 30),
    ("referral", 20),
    ("trade show", 12),
    ("cold outreach", 15),
    ("webinar", 10),
    ("partner", 8),
    ("social media", 5),
];

pub static CHANNELS: &[(&str, u32)] = &[("email", 50), ("phone", 28), ("chat", 10), ("sms", 5), ("in_person", 7)];

pub static PERSON_TAGS: &[&str] = &["newsletter", "vip", "trade-show", "webinar", "beta-tester", "decision-maker"];

/// What the demo company sells, with a price range in major units.
pub static OFFERS: &[(&str, u32, u32)] = &[
    ("Annual subscription", 6_000, 60_000),
    ("Platform licence renewal", 8_000, 90_000),
    ("Onboarding and training", 2_000, 15_000),
    ("Premium support plan", 3_000, 25_000),
    ("Data migration project", 10_000, 80_000),
    ("Additional seats", 2_500, 40_000),
    ("Pilot project", 1_500, 9_000),
    ("Multi-site rollout", 40_000, 250_000),
    ("Consulting days", 4_000, 30_000),
    ("Integration package", 5_000, 45_000),
];

pub static DEAL_ROLES: &[&str] = &["decision maker", "champion", "influencer", "user", "economic buyer", "blocker"];

pub static LOST_REASONS: &[&str] = &[
    "Price too high",
    "Chose another supplier",
    "No budget this year",
    "Project postponed",
    "No decision made",
    "Missing feature: offline mode",
    "Went with an in-house tool",
];

pub static NEXT_STEPS: &[&str] = &[
    "Send the revised proposal",
    "Schedule a demo with the IT team",
    "Call to confirm the budget",
    "Answer the security questionnaire",
    "Contract review with their legal team",
    "Book the kick-off workshop",
    "Share two customer references",
    "Get sign-off from the CFO",
];

pub static DEAL_TAGS: &[&str] = &["new-logo", "upsell", "renewal", "inbound", "strategic"];

/// The sales team: name, email local part, role, country.
pub static TEAM: &[(&str, &str, &str, Country)] = &[
    ("Camille Moreau", "camille.moreau", "manager", Country::Fr),
    ("Thomas Girard", "thomas.girard", "member", Country::Fr),
    ("Sarah Benali", "sarah.benali", "member", Country::Fr),
    ("James Whitaker", "james.whitaker", "member", Country::Gb),
    ("Lena Hoffmann", "lena.hoffmann", "member", Country::De),
    ("Priya Raman", "priya.raman", "member", Country::Us),
];

pub static CALL_SUBJECTS: &[&str] =
    &["Discovery call", "Follow-up call", "Pricing discussion", "Check-in call", "Renewal call", "Reference call"];
pub static CALL_OUTCOMES: &[(&str, u32)] =
    &[("connected", 60), ("left voicemail", 20), ("no answer", 15), ("asked to call back", 5)];
pub static EMAIL_SUBJECTS: &[&str] = &[
    "Re: Your proposal",
    "Introduction",
    "Meeting recap and next steps",
    "Pricing details",
    "Onboarding schedule",
    "Question about the invoice",
    "Re: Contract draft",
    "Following up",
];
pub static MEETING_SUBJECTS: &[&str] =
    &["Product demo", "Quarterly business review", "Kick-off meeting", "Contract negotiation", "Workshop: requirements"];
pub static NOTES: &[&str] = &[
    "Budget approved for next quarter; decision expected within a month.",
    "New procurement process: all purchases above 10k go through a tender.",
    "Very happy with support response times, wants to be a reference.",
    "Reorganization under way: our contact may change teams.",
    "Uses a spreadsheet today and wants to move before the busy season.",
    "Asked for a discount for a three-year commitment.",
    "Competitor offered a free pilot; we need to show value quickly.",
    "IT insists on single sign-on before any rollout.",
];
pub static SMS_TEXTS: &[&str] = &[
    "Running 10 minutes late, see you soon.",
    "Thanks for today! Proposal coming tomorrow.",
    "Can we move our call to 3pm?",
    "Contract signed and sent back.",
];
pub static CHAT_TEXTS: &[&str] = &[
    "Quick question about adding users to the account.",
    "Is there an export to spreadsheet?",
    "Could you resend the onboarding link?",
];
