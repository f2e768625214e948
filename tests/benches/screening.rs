//! Benchmark: what the screening list costs the functions that write leads. The list
//! used to be parsed from CSV (transliterated and normalised name by name) at every
//! cold start of the scorer; lead writes now load a compact pre-built index on first
//! use. Measures, for the shipped sample and a synthetic list of 50,000 invented
//! entries: parsing the CSV, building the index, loading the index, the first
//! screening through the lazy port (load included) and a later one. Prints Markdown.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kyc_app::ports::screening::{LazyScreening, Screening, ScreeningSource};
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Individual, Lead, Source};
use kyc_domain::risk::screening::{SYNTHETIC_SAMPLE_CSV, ScreeningList, parse_targets_simple};

const ROUNDS: usize = 5;

/// The best of ROUNDS runs.
fn best<T>(mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut fastest = Duration::MAX;
    let mut last = None;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let out = black_box(run());
        fastest = fastest.min(started.elapsed());
        last = Some(out);
    }
    (fastest, last.expect("at least one round"))
}

/// A `targets.simple.csv` of `n` invented people and companies (deterministic).
fn synthetic_csv(n: usize) -> String {
    const SYLLABLES: [&str; 16] =
        ["ka", "lo", "mir", "tan", "vel", "zor", "quin", "dra", "pel", "sto", "ru", "ben", "ix", "ola", "fen", "gau"];
    let word = |mut x: usize, parts: usize| {
        let mut w = String::new();
        for _ in 0..parts {
            w.push_str(SYLLABLES[x % 16]);
            x /= 16;
        }
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let mut csv = String::from("id,schema,name,aliases,birth_date,countries,sanctions,dataset\n");
    for i in 0..n {
        let seed = i.wrapping_mul(2_654_435_761);
        if i % 5 == 0 {
            csv.push_str(&format!(
                "syn-o-{i},Company,{} {} Ltd,,,xx,Programme,Synthetic\n",
                word(seed, 3),
                word(seed >> 12, 2)
            ));
        } else {
            let (first, last) = (word(seed, 2), word(seed >> 8, 3));
            csv.push_str(&format!(
                "syn-p-{i},Person,{first} {last},{last} {first};{first} {} {last},19{:02}-0{}-1{},xx,Programme,Synthetic\n",
                word(seed >> 20, 2),
                i % 100,
                1 + i % 9,
                i % 10
            ));
        }
    }
    csv
}

fn lead(first: &str, last: &str) -> Lead {
    let mut lead = LeadData::default().into_lead(
        kyc_domain::ids::LeadId::from_uuid(uuid::Uuid::now_v7()),
        Source::Api,
        chrono::Utc::now(),
    );
    lead.individual = Some(Individual {
        first_name: first.into(),
        last_name: last.into(),
        date_of_birth: None,
        nationality: None,
        phone: None,
    });
    lead
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("## Screening list: cold start and first use\n");
    println!("Best of {ROUNDS} runs on one core (`cargo bench -p kyc-tests --bench screening`). \"Init\" is");
    println!("what building the lead functions' risk rules costs at a cold start (the list is not");
    println!("touched); \"first screening\" loads the list through the lazy port and screens one lead.\n");
    println!(
        "| list | entries | CSV bytes | index bytes | parse CSV ms | build index ms | load index ms | init µs | first screening ms | later screening ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let big = synthetic_csv(50_000);
    for (name, csv) in [("shipped sample", SYNTHETIC_SAMPLE_CSV.to_string()), ("synthetic 50,000", big)] {
        let (parse, list) = best(|| parse_targets_simple(csv.as_bytes()).expect("parses"));
        let (build, index) = best(|| list.to_index());
        let (load, _) = best(|| ScreeningList::from_index(&index).expect("loads"));
        // At a cold start the source is only named (an object key on Lambda).
        let (init, _) = best(|| LazyScreening::new(ScreeningSource::ShippedSample, 90));
        let screening = LazyScreening::new(ScreeningSource::Bytes(index.clone()), 90);
        let someone = lead("Velka", "Mirtan");
        let started = Instant::now();
        black_box(screening.screen(&someone).await.expect("screens"));
        let first = started.elapsed();
        let started = Instant::now();
        black_box(screening.screen(&someone).await.expect("screens"));
        let later = started.elapsed();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {} |",
            list.len(),
            csv.len(),
            index.len(),
            ms(parse),
            ms(build),
            ms(load),
            init.as_secs_f64() * 1e6,
            ms(first),
            ms(later)
        );
    }
}
