//! The page size of listings.

/// How many entries a page of a listing holds: 1 to 100, 20 unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from {min} to {max}", min = PageLimit::MIN, max = PageLimit::MAX)]
pub struct InvalidPageLimit;

impl PageLimit {
    pub const MIN: u64 = 1;
    pub const MAX: u64 = 100;
    pub const DEFAULT: PageLimit = PageLimit(20);

    /// # Errors
    /// [`InvalidPageLimit`] outside [`PageLimit::MIN`]..=[`PageLimit::MAX`].
    pub fn new(limit: u64) -> Result<Self, InvalidPageLimit> {
        if (Self::MIN..=Self::MAX).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(InvalidPageLimit)
        }
    }

    /// # Errors
    /// [`InvalidPageLimit`] when `s` is not an integer in range.
    pub fn parse(s: &str) -> Result<Self, InvalidPageLimit> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidPageLimit);
        }
        s.parse().map_err(|_| InvalidPageLimit).and_then(Self::new)
    }

    pub const fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits_from_1_to_100_are_accepted() {
        assert_eq!(PageLimit::parse("1").map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::parse("100").map(PageLimit::get), Ok(100));
        for bad in ["0", "101", "-1", "ten", "1.5", "", "+5", " 5"] {
            assert_eq!(PageLimit::parse(bad), Err(InvalidPageLimit), "{bad:?}");
        }
        assert_eq!(PageLimit::DEFAULT.get(), 20);
        assert_eq!(InvalidPageLimit.to_string(), "must be an integer from 1 to 100");
    }
}
