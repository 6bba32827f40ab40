//! Instants for the UI: the wire's ISO 8601 strings, "5 minutes ago", and a ticking clock.

use leptos::prelude::*;

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), after Howard Hinnant.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses the server's `2026-11-21T12:00:00.123Z`.
pub fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let millis = if b[19] == b'.' { number(20..23).unwrap_or(0) } else { 0 };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Formats milliseconds since the epoch as the server does.
pub fn format_iso(millis: i64) -> String {
    let (days, rest) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second, ms) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z")
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// "just now", "5 minutes ago", "yesterday", "3 days ago", or a date for older ones.
pub fn relative(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0) / 1000;
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    match seconds {
        0..45 => "just now".into(),
        45..3600 => plural((seconds / 60).max(1), "minute"),
        3600..86_400 => plural(seconds / 3600, "hour"),
        86_400..172_800 => "yesterday".into(),
        172_800..604_800 => plural(seconds / 86_400, "day"),
        _ => {
            let (year, month, day) = civil_from_days(then.div_euclid(86_400_000));
            let (this_year, _, _) = civil_from_days(now.div_euclid(86_400_000));
            let month = MONTHS[(month - 1) as usize];
            if year == this_year { format!("{month} {day}") } else { format!("{month} {day}, {year}") }
        }
    }
}

/// A clock shared by the page, ticking every half minute in the browser, so relative times stay
/// true without each row keeping a timer.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<i64>);

pub fn provide_clock() {
    let now = RwSignal::new(now_millis());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(move || now.set(now_millis()), std::time::Duration::from_secs(30))
        {
            on_cleanup(move || handle.clear());
        }
    }
    provide_context(Clock(now));
}

pub fn use_clock() -> RwSignal<i64> {
    use_context::<Clock>().map(|c| c.0).unwrap_or_else(|| RwSignal::new(now_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        for text in ["1970-01-01T00:00:00.000Z", "2026-11-21T12:34:56.789Z", "2000-02-29T23:59:59.999Z"] {
            assert_eq!(format_iso(parse_iso(text).unwrap()), text);
        }
        assert_eq!(parse_iso("2026-11-21T12:00:00.000Z"), Some(1_795_262_400_000));
        assert_eq!(parse_iso("nonsense"), None);
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = parse_iso("2026-11-21T12:00:00.000Z").unwrap();
        let ago = |ms: i64| relative(now - ms, now);
        assert_eq!(ago(10_000), "just now");
        assert_eq!(ago(60_000), "1 minute ago");
        assert_eq!(ago(5 * 60_000), "5 minutes ago");
        assert_eq!(ago(3 * 3_600_000), "3 hours ago");
        assert_eq!(ago(30 * 3_600_000), "yesterday");
        assert_eq!(ago(4 * 86_400_000), "4 days ago");
        assert_eq!(ago(30 * 86_400_000), "Oct 22");
        assert_eq!(ago(400 * 86_400_000), "Oct 17, 2025");
    }
}
