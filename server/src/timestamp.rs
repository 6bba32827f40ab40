//! Instants as stored (microseconds since the Unix epoch, UTC) and as sent (ISO 8601).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Self(i64::try_from(since.as_micros()).unwrap_or(i64::MAX))
    }

    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    pub fn plus(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)))
    }

    pub fn minus(self, duration: Duration) -> Self {
        Self(self.0.saturating_sub(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)))
    }

    /// `2026-11-21T12:00:00.123Z`: millisecond precision, like JavaScript's `toISOString`.
    pub fn to_iso(self) -> String {
        let millis = self.0.div_euclid(1000);
        let seconds = millis.div_euclid(1000);
        let datetime = OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let year = datetime.year();
        if !(0..=9999).contains(&year) {
            return format!(
                "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                u8::from(datetime.month()),
                datetime.day(),
                datetime.hour(),
                datetime.minute(),
                datetime.second(),
                millis.rem_euclid(1000)
            );
        }
        // Written digit by digit: a page of 20 notifications formats about 60 of these, and
        // `format!` spent a thousand instructions on each.
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, u32::from(u8::from(datetime.month())));
        put(8, 2, u32::from(datetime.day()));
        put(11, 2, u32::from(datetime.hour()));
        put(14, 2, u32::from(datetime.minute()));
        put(17, 2, u32::from(datetime.second()));
        put(20, 3, millis.rem_euclid(1000) as u32);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Parses what clients send for dates: RFC 3339 / ISO 8601 date-times, plain dates
    /// (midnight UTC), and the `Date.parse`-compatible form without a zone (taken as UTC).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(datetime) = OffsetDateTime::parse(text, &Rfc3339) {
            return Self::from_datetime(datetime);
        }
        let zoned = if text.len() == 10 { format!("{text}T00:00:00Z") } else { format!("{text}Z") };
        OffsetDateTime::parse(&zoned, &Rfc3339).ok().and_then(Self::from_datetime)
    }

    fn from_datetime(datetime: OffsetDateTime) -> Option<Self> {
        i64::try_from(datetime.unix_timestamp_nanos() / 1000).ok().map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_output_has_milliseconds_and_z() {
        assert_eq!(Timestamp::from_micros(0).to_iso(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp::from_micros(1_779_364_800_123_456).to_iso(), "2026-05-21T12:00:00.123Z");
        assert_eq!(Timestamp::from_micros(-1).to_iso(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::from_micros(253_402_300_799_999_000).to_iso(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp::from_micros(-62_167_219_200_000_001).to_iso(), "-001-12-31T23:59:59.999Z");
    }

    #[test]
    fn parsing_accepts_the_forms_clients_send() {
        let expected = Timestamp::from_micros(1_779_364_800_123_000);
        assert_eq!(Timestamp::parse("2026-05-21T12:00:00.123Z"), Some(expected));
        assert_eq!(Timestamp::parse("2026-05-21T14:00:00.123+02:00"), Some(expected));
        assert_eq!(Timestamp::parse("2026-05-21T12:00:00.123"), Some(expected));
        assert_eq!(Timestamp::parse("2026-05-21"), Some(Timestamp::from_micros(1_779_321_600_000_000)));
        assert_eq!(Timestamp::parse("yesterday"), None);
        assert_eq!(Timestamp::parse(""), None);
    }

    #[test]
    fn round_trip_keeps_milliseconds() {
        let t = Timestamp::from_micros(1_779_364_800_123_000);
        assert_eq!(Timestamp::parse(&t.to_iso()), Some(t));
    }
}
