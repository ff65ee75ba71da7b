//! Benchmark data generator: writes a realistic, deterministic seed file (290
//! municipalities, 300 promises, 1,200 focus areas, 6,000 commitments, 600 contacts) and,
//! when a database URL is given, migrates that database and imports the file through the
//! real seed importer (`server::seed`), timing the import.
//!
//! ```text
//! cargo run --release -p server --example generate_data -- \
//!     --out target/bench-seed.toml --database-url postgres://postgres@127.0.0.1/bench
//! ```
//!
//! Promise periods are relative to today's year, so "active" promises stay active whenever
//! the data is generated. The municipality with the lowest kommunkod is the benchmark
//! target of scenario (a); its slug is printed as `target_slug=…`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a development tool: a failure ends the run with its message"
)]

use std::{collections::HashSet, path::PathBuf, time::Instant};

use chrono::Datelike;
use clap::Parser;
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;

#[derive(Parser)]
struct Args {
    /// Where to write the generated seed file.
    #[arg(long, default_value = "target/bench-seed.toml")]
    out: PathBuf,
    /// Import the file into this database (migrated first). Omit to only write the file.
    #[arg(long)]
    database_url: Option<String>,
    /// Seed of the pseudo-random generator (the same seed gives the same file).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Multiply the promises (and their focus areas and commitments) by this: every
    /// promise gets `scale - 1` expired predecessors, four years apart. The municipalities
    /// and contacts stay the same (Sweden has 290); this is how the catalogue grows.
    #[arg(long, default_value_t = 1)]
    scale: usize,
}

/// SplitMix64: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------
// Output format: mirrors `server::seed::SeedFile` (seed/medborgarloften.toml).
// ---------------------------------------------------------------------------------------

type Date = toml::value::Datetime;

#[derive(Serialize)]
struct File {
    municipality: Vec<Municipality>,
    police_area: Vec<PoliceArea>,
    contact: Vec<Contact>,
    promise: Vec<Promise>,
    routing_rule: Vec<RoutingRule>,
}

#[derive(Serialize)]
struct Municipality {
    code: String,
    name: String,
    official_name: String,
    slug: String,
    county: String,
}

#[derive(Serialize)]
struct PoliceArea {
    key: String,
    name: String,
    municipalities: Vec<String>,
}

#[derive(Serialize)]
struct Contact {
    key: String,
    name: String,
    role: String,
    organisation_kind: &'static str,
    organisation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    email: String,
    email_is_placeholder: bool,
    placeholder: bool,
    municipalities: Vec<String>,
}

#[derive(Serialize)]
struct Promise {
    key: String,
    title: String,
    municipalities: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    police_area: Option<String>,
    valid_from: Date,
    valid_to: Date,
    summary: String,
    situation: String,
    goal: String,
    follow_up: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_on: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_place: Option<String>,
    published: bool,
    contacts: Vec<String>,
    source: Vec<Source>,
    section: Vec<Section>,
    signatory: Vec<Signatory>,
    focus_area: Vec<FocusArea>,
}

#[derive(Serialize)]
struct Source {
    title: String,
    publisher: String,
}

#[derive(Serialize)]
struct Section {
    heading: String,
    body: String,
}

#[derive(Serialize)]
struct Signatory {
    name: String,
    title: String,
    organisation: String,
}

#[derive(Serialize)]
struct FocusArea {
    key: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    commitment: Vec<Commitment>,
}

#[derive(Serialize)]
struct Commitment {
    text: String,
    responsible: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
}

#[derive(Serialize)]
struct Target {
    quantity: i32,
    unit: String,
    period: &'static str,
}

#[derive(Serialize)]
struct RoutingRule {
    municipality: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    focus_area: Option<String>,
    contact: String,
}

// ---------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------

/// The 21 counties with their real länskod and real number of municipalities (sum 290).
const COUNTIES: [(&str, &str, usize); 21] = [
    ("01", "Stockholms län", 26),
    ("03", "Uppsala län", 8),
    ("04", "Södermanlands län", 9),
    ("05", "Östergötlands län", 13),
    ("06", "Jönköpings län", 13),
    ("07", "Kronobergs län", 8),
    ("08", "Kalmar län", 12),
    ("09", "Gotlands län", 1),
    ("10", "Blekinge län", 5),
    ("12", "Skåne län", 33),
    ("13", "Hallands län", 6),
    ("14", "Västra Götalands län", 49),
    ("17", "Värmlands län", 16),
    ("18", "Örebro län", 12),
    ("19", "Västmanlands län", 10),
    ("20", "Dalarnas län", 15),
    ("21", "Gävleborgs län", 10),
    ("22", "Västernorrlands län", 7),
    ("23", "Jämtlands län", 8),
    ("24", "Västerbottens län", 15),
    ("25", "Norrbottens län", 14),
];

const NAME_HEADS: [&str; 44] = [
    "Ale", "Bjur", "Borg", "Dals", "Ek", "Fal", "Grän", "Hag", "Hal", "Hed", "Hög", "Kal", "Kar",
    "Kin", "Kung", "Lid", "Lin", "Ljus", "Mal", "Mark", "Munk", "Nor", "Ny", "Os", "Ra", "Sal",
    "Sig", "Sjö", "Skog", "Sol", "Stor", "Sund", "Sval", "Tran", "Tid", "Upp", "Val", "Var", "Väs",
    "Åt", "Ås", "Älv", "Öst", "Ör",
];
const NAME_TAILS: [&str; 20] = [
    "by", "köping", "hult", "sund", "torp", "ås", "berg", "vik", "holm", "dal", "å", "stad", "näs",
    "fors", "bo", "ryd", "lunda", "tuna", "sala", "mo",
];
const FIRST_NAMES: [&str; 24] = [
    "Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Johan", "Sara", "Per", "Lena",
    "Mikael", "Emma", "Fredrik", "Ingrid", "Jonas", "Helena", "Magnus", "Sofia", "Stefan", "Åsa",
    "Björn", "Linnéa", "Göran",
];
const LAST_NAMES: [&str; 24] = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Lindberg",
    "Lindström",
    "Bergström",
    "Åberg",
    "Sandberg",
    "Holm",
    "Nyström",
    "Lundqvist",
    "Björk",
    "Söderberg",
    "Wallin",
    "Engström",
];
const FOCUS_TITLES: [(&str, &str); 16] = [
    ("Trafiksäkerhet", "trafiksäkerheten och buskörningen"),
    (
        "Brottsaktiva individer",
        "personer som kan definieras som brottsaktiva",
    ),
    ("Trygghet i centrum", "otryggheten i centrum kvällstid"),
    ("Narkotika bland unga", "narkotikaanvändningen bland unga"),
    ("Våld i nära relation", "våld i nära relation"),
    ("Skadegörelse och klotter", "skadegörelse och klotter"),
    ("Ungdomars fritid", "ungdomars sysslolöshet på helger"),
    ("Grannsamverkan", "inbrott i bostadsområden"),
    ("Bedrägerier mot äldre", "bedrägerier mot äldre"),
    (
        "A-traktorer och EPA",
        "buskörning med A-traktorer och EPA-traktorer",
    ),
    (
        "Inbrott på landsbygden",
        "inbrott och stölder på landsbygden",
    ),
    ("Trygghet i skolan", "kränkningar och våld i skolmiljö"),
    ("Alkohol och tillsyn", "langning och alkohol till unga"),
    ("Otrygga platser", "otrygga platser och dålig belysning"),
    ("Cykelstölder", "cykelstölder vid stationen"),
    (
        "Nyrekrytering till kriminella nätverk",
        "nyrekrytering till kriminella nätverk",
    ),
];
const UNITS: [&str; 6] = [
    "riktade trafikinsatser",
    "skolbesök",
    "trygghetsvandringar",
    "medborgardialoger",
    "informationsträffar",
    "samverkansmöten",
];
const ACTIONS: [&str; 10] = [
    "genomföra riktade insatser mot",
    "i samverkan med skola och socialtjänst arbeta förebyggande mot",
    "kartlägga och följa upp",
    "genomföra informationsinsatser om",
    "tillsammans med föreningslivet motverka",
    "ta fram en gemensam lägesbild över",
    "öka synligheten på platser som präglas av",
    "utbilda personal som arbetar med ungdomar om",
    "bjuda in till medborgardialog om",
    "samordna tillsynsbesök för att minska",
];

fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'å' | 'ä' | 'á' | 'à' => out.push('a'),
            'ö' | 'ø' => out.push('o'),
            'é' | 'è' => out.push('e'),
            'a'..='z' | '0'..='9' => out.push(c),
            _ => {
                if !out.ends_with('-') {
                    out.push('-')
                }
            }
        }
    }
    out.trim_matches('-').to_owned()
}

/// "Lidköpings kommun", "Borås kommun".
fn kommun(name: &str) -> String {
    if name.ends_with(['s', 'x', 'z']) {
        format!("{name} kommun")
    } else {
        format!("{name}s kommun")
    }
}

fn date(y: i32, m: u32, d: u32) -> Date {
    format!("{y:04}-{m:02}-{d:02}")
        .parse()
        .expect("a valid TOML date")
}

fn phone(rng: &mut Rng, police: bool) -> String {
    if police {
        format!("010-56 {:03} {:02}", rng.below(1000), rng.below(100))
    } else {
        format!(
            "0{}-{:03} {:02}",
            100 + rng.below(900),
            rng.below(1000),
            rng.below(100)
        )
    }
}

fn person(rng: &mut Rng) -> (String, String) {
    let first = *rng.pick(&FIRST_NAMES);
    let last = *rng.pick(&LAST_NAMES);
    (
        format!("{first} {last}"),
        slugify(&format!("{first}.{last}")).replace('-', "."),
    )
}

struct Place {
    code: String,
    name: String,
    slug: String,
    county: String,
}

fn places(rng: &mut Rng) -> Vec<Place> {
    let mut names = HashSet::new();
    let mut slugs = HashSet::new();
    let mut out = Vec::new();
    for (prefix, county, count) in COUNTIES {
        for i in 0..count {
            let name = loop {
                let candidate = format!("{}{}", rng.pick(&NAME_HEADS), rng.pick(&NAME_TAILS));
                if names.insert(candidate.clone()) && slugs.insert(slugify(&candidate)) {
                    break candidate;
                }
            };
            out.push(Place {
                code: format!("{prefix}{:02}", 14 + i),
                slug: slugify(&name),
                name,
                county: county.to_owned(),
            });
        }
    }
    out
}

fn promise_text(rng: &mut Rng, name: &str, topics: &[&str]) -> (String, String, String, String) {
    let party = if name.contains(" och ") {
        format!("kommunerna {name}")
    } else {
        kommun(name)
    };
    let summary = format!(
        "Medborgarlöftet är ett gemensamt åtagande mellan lokalpolisområdet och {}. \
         Det bygger på medborgardialoger, trygghetsmätningen och en gemensam lägesbild som tagits \
         fram tillsammans med skola, socialtjänst, näringsliv och föreningsliv. Under perioden \
         prioriteras {} och {}. Löftet följs upp i det lokala brottsförebyggande rådet och \
         redovisas öppet för invånarna. Alla som bor och verkar i {name} är välkomna att lämna \
         synpunkter, tips och idéer på hur tryggheten kan öka.",
        party, topics[0], topics[1]
    );
    let situation = format!(
        "Brottsligheten i {name} är i stort sett oförändrad, men trygghetsmätningen visar att \
         {} procent av de svarande känner sig otrygga i centrum kvällstid. Problem med {} och {} \
         har lyfts av både invånare och medarbetare i kommunens verksamheter.",
        15 + rng.below(30),
        topics[2],
        topics[3]
    );
    let goal = format!(
        "Målet är att öka den upplevda tryggheten i {name}, minska brottsligheten bland unga och \
         stoppa nyrekryteringen till kriminalitet. Effekterna mäts i nästa trygghetsmätning."
    );
    let follow_up =
        "En aktivitetsplan kopplad till medborgarlöftet upprättas i början av perioden \
         och revideras årligen. Planen följs upp minst två gånger per år av det lokala \
         brottsförebyggande rådet och resultaten publiceras på kommunens webbplats."
            .to_owned();
    (summary, situation, goal, follow_up)
}

fn commitment(rng: &mut Rng, name: &str, topic: &str, contact: Option<&str>) -> Commitment {
    const PARTIES: [&str; 3] = ["POLICE", "MUNICIPALITY", "JOINT"];
    let responsible = *rng.pick(&PARTIES);
    let who = match responsible {
        "POLICE" => "Polisen ska",
        "MUNICIPALITY" => "Kommunen ska",
        _ => "Polisen och kommunen ska gemensamt",
    };
    let status = match rng.below(20) {
        0..=7 => "PLANNED",
        8..=14 => "IN_PROGRESS",
        15..=18 => "DONE",
        _ => "NOT_DONE",
    };
    let target = (rng.below(3) == 0).then(|| {
        const PERIODS: [&str; 3] = ["YEAR", "SCHOOL_YEAR", "PROMISE_PERIOD"];
        Target {
            quantity: 2 + rng.below(11) as i32,
            unit: (*rng.pick(&UNITS)).to_owned(),
            period: PERIODS[rng.below(PERIODS.len())],
        }
    });
    let text = match &target {
        Some(t) => format!(
            "{who} genomföra minst {} {} i {name} med fokus på {topic}.",
            t.quantity, t.unit
        ),
        None => format!(
            "{who} {} {topic} i {name}, och redovisa resultatet i det brottsförebyggande rådet.",
            rng.pick(&ACTIONS)
        ),
    };
    Commitment {
        text,
        responsible,
        status,
        target,
        contact: contact.map(str::to_owned),
    }
}

fn generate(seed: u64, year: i32, scale: usize) -> (File, String) {
    let mut rng = Rng(seed);
    let places = places(&mut rng);
    let target_slug = places
        .iter()
        .min_by(|a, b| a.code.cmp(&b.code))
        .map(|p| p.slug.clone())
        .expect("at least one municipality");

    // Police areas: consecutive groups of up to three municipalities within a county.
    let mut police_area = Vec::new();
    let mut area_of = vec![String::new(); places.len()];
    let mut i = 0;
    while i < places.len() {
        let mut j = i + 1;
        while j < places.len() && j < i + 3 && places[j].county == places[i].county {
            j += 1;
        }
        let key = format!("lpo-{}", places[i].slug);
        for slot in &mut area_of[i..j] {
            slot.clone_from(&key);
        }
        police_area.push(PoliceArea {
            key,
            name: format!("Lokalpolisområde {}", places[i].name),
            municipalities: places[i..j].iter().map(|p| p.code.clone()).collect(),
        });
        i = j;
    }

    // 600 contacts: a kommunpolis and a municipal strategist per municipality, and a
    // placeholder mailbox for the first 20.
    let mut contact = Vec::new();
    for (n, p) in places.iter().enumerate() {
        let (name, local) = person(&mut rng);
        contact.push(Contact {
            key: format!("kp-{}", p.code),
            name,
            role: "kommunpolis".into(),
            organisation_kind: "POLICE",
            organisation: "Polismyndigheten".into(),
            phone: Some(phone(&mut rng, true)),
            email: format!("{local}.{}@polisen.example", p.code),
            email_is_placeholder: true,
            placeholder: false,
            municipalities: vec![p.code.clone()],
        });
        let (name, local) = person(&mut rng);
        const ROLES: [&str; 4] = [
            "Brottsförebyggande samordnare",
            "Folkhälsostrateg",
            "Säkerhetschef",
            "Trygghetssamordnare",
        ];
        contact.push(Contact {
            key: format!("bf-{}", p.code),
            name,
            role: (*rng.pick(&ROLES)).to_owned(),
            organisation_kind: "MUNICIPALITY",
            organisation: kommun(&p.name),
            phone: (rng.below(4) != 0).then(|| phone(&mut rng, false)),
            email: format!("{local}@{}.example", p.slug),
            email_is_placeholder: true,
            placeholder: false,
            municipalities: vec![p.code.clone()],
        });
        if n < 20 {
            contact.push(Contact {
                key: format!("kommun-{}", p.code),
                name: kommun(&p.name),
                role: "Platshållare: kommunens funktionsbrevlåda".into(),
                organisation_kind: "MUNICIPALITY",
                organisation: kommun(&p.name),
                phone: None,
                email: format!("kommun@{}.example", p.slug),
                email_is_placeholder: true,
                placeholder: true,
                municipalities: vec![p.code.clone()],
            });
        }
    }

    // 300 promises: 250 single-municipality and 20 two-municipality promises in force now,
    // and 30 expired ones from the previous period. 4 focus areas × 5 commitments each.
    let mut routing_rule: Vec<RoutingRule> = places
        .iter()
        .map(|p| RoutingRule {
            municipality: p.code.clone(),
            focus_area: None,
            contact: format!("kp-{}", p.code),
        })
        .collect();
    let mut promise = Vec::new();
    for (n, copy) in (0..300).flat_map(|n| (0..scale.max(1)).map(move |copy| (n, copy))) {
        let (members, current): (Vec<usize>, bool) = match n {
            0..250 => (vec![n], true),
            250..270 => {
                let first = 250 + 2 * (n - 250);
                (vec![first, first + 1], true)
            }
            _ => (vec![((n - 270) * 9) % 250], false),
        };
        let lead = &places[members[0]];
        let active = current && copy == 0;
        let back = 4 * copy as i32;
        let (from, to) = if current {
            (year - 1 - back, year - back)
        } else {
            (year - 3 - back, year - 2 - back)
        };
        let joint = members.len() > 1;
        let key = if joint {
            format!("{}-{}-{from}-{to}", lead.slug, places[members[1]].slug)
        } else {
            format!("{}-{from}-{to}", lead.slug)
        };
        let names: Vec<&str> = members.iter().map(|&m| places[m].name.as_str()).collect();
        let display = names.join(" och ");
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < 4 {
            let k = rng.below(FOCUS_TITLES.len());
            if !chosen.contains(&k) {
                chosen.push(k);
            }
        }
        let topics: Vec<&str> = chosen.iter().map(|&k| FOCUS_TITLES[k].1).collect();
        let (summary, situation, goal, follow_up) = promise_text(&mut rng, &display, &topics);
        let contacts: Vec<String> = members
            .iter()
            .flat_map(|&m| {
                [
                    format!("kp-{}", places[m].code),
                    format!("bf-{}", places[m].code),
                ]
            })
            .collect();
        let focus_area: Vec<FocusArea> = chosen
            .iter()
            .enumerate()
            .map(|(pos, &k)| {
                let (title, topic) = FOCUS_TITLES[k];
                let fa_contact = pos.is_multiple_of(2).then(|| contacts[pos % contacts.len()].clone());
                FocusArea {
                    key: slugify(title),
                    title: title.to_owned(),
                    description: format!(
                        "Polisen och kommunen ska gemensamt rikta åtgärder mot {topic} i {display}. \
                         Fokusområdet har valts utifrån lägesbilden och synpunkter från \
                         medborgardialogerna, där {topic} nämndes som ett av de största \
                         problemen."
                    ),
                    contact: fa_contact,
                    commitment: (0..5)
                        .map(|c| {
                            let who = (c == 0).then(|| contacts[c % contacts.len()].as_str());
                            commitment(&mut rng, &display, topic, who)
                        })
                        .collect(),
                }
            })
            .collect();
        if active {
            routing_rule.push(RoutingRule {
                municipality: lead.code.clone(),
                focus_area: Some(format!("{key}/{}", focus_area[0].key)),
                contact: format!("bf-{}", lead.code),
            });
        }
        let (signer, _) = person(&mut rng);
        let (chief, _) = person(&mut rng);
        promise.push(Promise {
            title: format!("Medborgarlöfte för {display} {from}–{to}"),
            municipalities: members.iter().map(|&m| places[m].code.clone()).collect(),
            police_area: joint.then(|| area_of[members[0]].clone()),
            valid_from: date(from, 1, 1),
            valid_to: date(to, 12, 31),
            summary,
            situation,
            goal,
            follow_up,
            signed_on: Some(date(from - 1, 11, 1 + rng.below(28) as u32)),
            signed_place: Some(lead.name.clone()),
            published: true,
            contacts,
            source: vec![
                Source {
                    title: format!("{} – medborgarlöften", lead.name),
                    publisher: "Polismyndigheten".into(),
                },
                Source {
                    title: "Brottsförebyggande arbete".into(),
                    publisher: kommun(&lead.name),
                },
            ],
            section: vec![
                Section {
                    heading: "Samverkansöverenskommelsen".into(),
                    body: format!(
                        "Medborgarlöftet undertecknas med stöd av samverkansöverenskommelsen \
                         mellan {display} och Polismyndigheten. Syftet är att fortlöpande \
                         utveckla samverkan i det brottsförebyggande och trygghetsskapande \
                         arbetet."
                    ),
                },
                Section {
                    heading: "Välkommen att höra av dig!".into(),
                    body: "Har du synpunkter, tips och idéer på hur vi tillsammans kan öka \
                           tryggheten är du välkommen att höra av dig till kommunpolisen eller \
                           kommunens samordnare."
                        .into(),
                },
            ],
            signatory: vec![
                Signatory {
                    name: signer,
                    title: "Kommunstyrelsens ordförande".into(),
                    organisation: kommun(&lead.name),
                },
                Signatory {
                    name: chief,
                    title: "Lokalpolisområdeschef".into(),
                    organisation: "Polismyndigheten".into(),
                },
            ],
            focus_area,
            key,
        });
    }

    let municipality = places
        .into_iter()
        .map(|p| Municipality {
            code: p.code,
            // Invented names take the common genitive; real ones are written out.
            official_name: format!("{}s kommun", p.name),
            name: p.name,
            slug: p.slug,
            county: p.county,
        })
        .collect();
    (
        File {
            municipality,
            police_area,
            contact,
            promise,
            routing_rule,
        },
        target_slug,
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let year = chrono::Utc::now().year();
    let (file, target_slug) = generate(args.seed, year, args.scale);
    let text = toml::to_string(&file)?;
    if let Some(parent) = args.out.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &text)?;
    let focus_areas: usize = file.promise.iter().map(|p| p.focus_area.len()).sum();
    let commitments: usize = file
        .promise
        .iter()
        .flat_map(|p| &p.focus_area)
        .map(|f| f.commitment.len())
        .sum();
    println!(
        "wrote {} ({} bytes): {} municipalities, {} police areas, {} contacts, {} promises, \
         {focus_areas} focus areas, {commitments} commitments, {} routing rules",
        args.out.display(),
        text.len(),
        file.municipality.len(),
        file.police_area.len(),
        file.contact.len(),
        file.promise.len(),
        file.routing_rule.len(),
    );
    println!("target_slug={target_slug}");

    let Some(url) = args.database_url else {
        return Ok(());
    };
    let started = Instant::now();
    let parsed = server::seed::load_path(&args.out)?;
    let parse_time = started.elapsed();
    let (db, _) = server::db::connect(&url, 5).await?;
    server::db::migrate(&db).await?;
    let started = Instant::now();
    let report = server::seed::import(&db, &parsed).await?;
    let import_time = started.elapsed();
    println!(
        "parsed and validated in {:.3} s; imported in {:.3} s: {report}",
        parse_time.as_secs_f64(),
        import_time.as_secs_f64()
    );
    for table in [
        "municipality",
        "police_area",
        "contact",
        "promise",
        "focus_area",
        "commitment",
        "routing_rule",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count for {table}"))?;
        let n: i64 = row.try_get("", "n")?;
        println!("rows {table}={n}");
    }
    let empty_search: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM promise WHERE search_text = ''".to_owned(),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?
        .try_get("", "n")?;
    println!("promises without search_text={empty_search}");
    db.close().await?;
    Ok(())
}
