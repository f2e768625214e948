//! Delivery rules: the retry schedule and its jitter, `Retry-After`, the outcome of an
//! attempt, and when a failing endpoint is disabled.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use kyc_domain::webhook::{
    AttemptOutcome, MAX_RETRY_AFTER, RetrySchedule, RetryScheduleError, classify, next_delay, retry_after,
    should_disable,
};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn now() -> DateTime<Utc> {
    // Saturday 2025-11-29 00:00:00 UTC.
    DateTime::from_timestamp(1_764_374_400, 0).expect("a time in range")
}

// ----------------------------------------------------------------------- the schedule

#[test]
fn the_default_schedule_is_the_contracts_and_allows_eight_attempts() {
    let schedule = RetrySchedule::default();
    assert_eq!(
        schedule.steps(),
        [secs(5), secs(300), secs(1800), secs(7200), secs(18_000), secs(36_000), secs(36_000)]
    );
    assert_eq!(schedule.max_attempts(), 8);
}

#[test]
fn the_first_attempt_is_immediate() {
    let schedule = RetrySchedule::default();
    assert_eq!(schedule.delay_before(1, 0.0), Some(Duration::ZERO));
    assert_eq!(schedule.delay_before(1, 0.99), Some(Duration::ZERO));
    assert_eq!(schedule.delay_before(0, 0.5), Some(Duration::ZERO), "0 is read as the first attempt");
}

#[test]
fn without_jitter_each_retry_waits_its_step() {
    let schedule = RetrySchedule::default();
    let waits: Vec<Option<Duration>> = (2..=8).map(|n| schedule.delay_before(n, 0.5)).collect();
    let steps: Vec<Option<Duration>> = schedule.steps().iter().copied().map(Some).collect();
    assert_eq!(waits, steps);
}

#[test]
fn jitter_moves_a_step_by_at_most_twenty_percent_either_way() {
    let schedule = RetrySchedule::default();
    // Attempt 3 waits the 5-minute step.
    assert_eq!(schedule.delay_before(3, 0.0), Some(secs(240)));
    assert_eq!(schedule.delay_before(3, 0.25), Some(secs(270)));
    assert_eq!(schedule.delay_before(3, 0.75), Some(secs(330)));
    let almost_one = 1.0 - f64::EPSILON;
    let top = schedule.delay_before(3, almost_one).expect("attempt 3 is scheduled");
    assert!(top <= secs(360) && top > secs(359), "{top:?}");
    for n in 2..=8 {
        let step = schedule.steps()[n as usize - 2];
        for unit in [0.0, 0.1, 0.37, 0.5, 0.81, almost_one] {
            let wait = schedule.delay_before(n, unit).expect("attempts 2 to 8 are scheduled");
            assert!(wait >= step.mul_f64(0.8) && wait <= step.mul_f64(1.2), "attempt {n}, unit {unit}: {wait:?}");
        }
    }
}

#[test]
fn a_jitter_unit_out_of_range_is_clamped_and_a_non_number_means_none() {
    let schedule = RetrySchedule::default();
    assert_eq!(schedule.delay_before(2, -3.0), Some(secs(4)));
    assert_eq!(schedule.delay_before(2, 7.0), Some(secs(6)));
    assert_eq!(schedule.delay_before(2, f64::NAN), Some(secs(5)));
    assert_eq!(schedule.delay_before(2, f64::INFINITY), Some(secs(5)));
}

#[test]
fn after_the_last_attempt_there_is_no_further_delay() {
    let schedule = RetrySchedule::default();
    assert!(schedule.delay_before(8, 0.5).is_some());
    assert_eq!(schedule.delay_before(9, 0.5), None);
    assert_eq!(schedule.delay_before(u32::MAX, 0.5), None);
}

#[test]
fn a_configured_schedule_is_comma_separated_seconds() {
    let schedule = RetrySchedule::parse("0, 1,60 ,86400");
    assert_eq!(schedule.as_ref().map(RetrySchedule::steps), Ok(&[secs(0), secs(1), secs(60), secs(86_400)][..]));
    assert_eq!(schedule.map(|s| s.max_attempts()), Ok(5));
    assert_eq!(RetrySchedule::parse("5").map(|s| s.max_attempts()), Ok(2));
}

#[test]
fn a_configured_schedule_of_twenty_delays_is_accepted_and_of_twenty_one_refused() {
    let twenty = vec!["1"; 20].join(",");
    assert_eq!(RetrySchedule::parse(&twenty).map(|s| s.max_attempts()), Ok(21));
    let twenty_one = vec!["1"; 21].join(",");
    assert_eq!(RetrySchedule::parse(&twenty_one), Err(RetryScheduleError::TooMany { count: 21 }));
}

#[test]
fn an_empty_configured_schedule_is_refused() {
    assert_eq!(RetrySchedule::parse(""), Err(RetryScheduleError::Empty));
    assert_eq!(RetrySchedule::parse("  "), Err(RetryScheduleError::Empty));
}

#[test]
fn a_configured_delay_that_is_not_whole_seconds_is_refused_by_position() {
    for (spec, position, value) in [
        ("5,abc", 2, "abc"),
        ("5,,10", 2, ""),
        ("5,10,", 3, ""),
        ("-5", 1, "-5"),
        ("+5", 1, "+5"),
        ("1.5", 1, "1.5"),
        ("5s", 1, "5s"),
    ] {
        assert_eq!(
            RetrySchedule::parse(spec),
            Err(RetryScheduleError::NotANumber { position, value: value.into() }),
            "{spec:?}"
        );
    }
}

#[test]
fn a_configured_delay_over_a_day_is_refused_by_position() {
    assert_eq!(
        RetrySchedule::parse("5,86401"),
        Err(RetryScheduleError::TooLong { position: 2, value: "86401".into() })
    );
    assert_eq!(
        RetrySchedule::parse("99999999999999999999999"),
        Err(RetryScheduleError::TooLong { position: 1, value: "99999999999999999999999".into() })
    );
}

#[test]
fn a_schedule_error_names_the_problem() {
    let message = |spec: &str| RetrySchedule::parse(spec).expect_err("the schedule is refused").to_string();
    assert!(message("").contains("empty"));
    assert!(message("5,abc").contains("delay 2 (\"abc\") is not a whole number of seconds"));
    assert!(message("90000").contains("delay 1 (90000 s) is over the limit of 86400 s"));
    assert!(message(&vec!["1"; 21].join(",")).contains("21 delays: at most 20"));
}

// ------------------------------------------------------------------------ Retry-After

#[test]
fn retry_after_in_seconds_is_read_as_a_duration() {
    assert_eq!(retry_after("120", now()), Some(secs(120)));
    assert_eq!(retry_after(" 0 ", now()), Some(secs(0)));
    assert_eq!(retry_after("99999999999999999999999", now()), Some(Duration::from_secs(u64::MAX)));
}

#[test]
fn retry_after_as_an_http_date_is_the_time_until_then() {
    assert_eq!(retry_after("Sat, 29 Nov 2025 00:02:00 GMT", now()), Some(secs(120)));
    assert_eq!(retry_after("Saturday, 29-Nov-25 00:02:00 GMT", now()), Some(secs(120)));
    assert_eq!(retry_after("Sat Nov 29 00:02:00 2025", now()), Some(secs(120)));
    assert_eq!(retry_after("Sat Dec  6 00:00:00 2025", now()), Some(secs(7 * 86_400)));
}

#[test]
fn retry_after_a_past_date_is_zero() {
    assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now()), Some(Duration::ZERO));
    assert_eq!(retry_after("Sun Nov  6 08:49:37 1994", now()), Some(Duration::ZERO));
}

#[test]
fn retry_after_that_cannot_be_read_is_none() {
    for value in ["", "soon", "-5", "1.5", "+5", "2025-11-29T00:02:00Z", "Sat, 29 Nov 2025 00:02:00 CET"] {
        assert_eq!(retry_after(value, now()), None, "{value:?}");
    }
}

#[test]
fn without_retry_after_the_scheduled_delay_is_kept() {
    assert_eq!(next_delay(secs(300), None), secs(300));
}

#[test]
fn retry_after_longer_than_the_schedule_is_honoured() {
    assert_eq!(next_delay(secs(5), Some(secs(120))), secs(120));
    assert_eq!(next_delay(secs(5), Some(MAX_RETRY_AFTER)), MAX_RETRY_AFTER);
}

#[test]
fn retry_after_never_makes_a_retry_sooner_than_scheduled() {
    assert_eq!(next_delay(secs(1800), Some(secs(60))), secs(1800));
    assert_eq!(next_delay(secs(5), Some(Duration::ZERO)), secs(5));
    assert_eq!(next_delay(Duration::ZERO, Some(Duration::ZERO)), Duration::ZERO);
}

#[test]
fn retry_after_longer_than_a_day_is_capped_at_a_day() {
    assert_eq!(MAX_RETRY_AFTER, secs(86_400));
    assert_eq!(next_delay(secs(5), Some(secs(7 * 86_400))), MAX_RETRY_AFTER);
    assert_eq!(next_delay(secs(5), Some(Duration::from_secs(u64::MAX))), MAX_RETRY_AFTER);
    // A jittered 24-hour step is already past the cap and stays as it is.
    assert_eq!(next_delay(secs(100_000), Some(secs(7 * 86_400))), secs(100_000));
}

// -------------------------------------------------------------------------- outcomes

#[test]
fn any_2xx_is_delivered() {
    for status in [200, 201, 202, 204, 299] {
        assert_eq!(classify(Some(status), None), AttemptOutcome::Delivered, "{status}");
    }
    assert_eq!(classify(Some(200), Some(secs(60))), AttemptOutcome::Delivered);
}

#[test]
fn gone_disables_the_endpoint() {
    assert_eq!(classify(Some(410), None), AttemptOutcome::Gone);
    assert_eq!(classify(Some(410), Some(secs(60))), AttemptOutcome::Gone);
}

#[test]
fn redirects_client_and_server_errors_are_retried_with_their_retry_after() {
    for status in [100, 199, 300, 301, 302, 307, 308, 400, 401, 404, 409, 413, 429, 500, 502, 503, 504, 599, 0, 999] {
        assert_eq!(classify(Some(status), None), AttemptOutcome::Retry { retry_after: None }, "{status}");
    }
    assert_eq!(classify(Some(429), Some(secs(30))), AttemptOutcome::Retry { retry_after: Some(secs(30)) });
    assert_eq!(classify(Some(503), Some(secs(30))), AttemptOutcome::Retry { retry_after: Some(secs(30)) });
}

#[test]
fn a_timeout_or_transport_error_is_retried() {
    assert_eq!(classify(None, None), AttemptOutcome::Retry { retry_after: None });
}

// ---------------------------------------------------------------------------- health

#[test]
fn an_endpoint_without_a_failure_run_stays_enabled() {
    assert!(!should_disable(None, now()));
}

#[test]
fn an_endpoint_failing_for_five_days_is_disabled() {
    let five_days = TimeDelta::days(5);
    assert!(!should_disable(Some(now() - five_days + TimeDelta::seconds(1)), now()));
    assert!(should_disable(Some(now() - five_days), now()));
    assert!(should_disable(Some(now() - TimeDelta::days(30)), now()));
    assert!(!should_disable(Some(now()), now()));
    // A first failure "in the future" (clock skew between workers) is no reason to disable.
    assert!(!should_disable(Some(now() + TimeDelta::days(6)), now()));
}
