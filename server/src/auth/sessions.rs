//! User sessions: random bearer tokens, stored only as SHA-256 hashes, with a fixed lifetime.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{catalog::EntityRef, db::Db, error::Result, timestamp::Timestamp, with_pool};

/// Prefix of session tokens, so a leaked one is recognisable (and scannable) as Herald's.
const TOKEN_PREFIX: &str = "hrs_";
/// How long a session found in the database is trusted without asking again: every request
/// is authenticated, and asking is a round trip to the database each time (a third of those
/// of a page of notifications). A sign-out through this server takes effect at once; one
/// through another server sharing the database, within this.
const RECHECK_AFTER: Duration = Duration::from_secs(1);
/// Sessions remembered at most; past that the memory starts over.
const REMEMBERED: usize = 10_000;

pub struct Sessions {
    db: Db,
    ttl: Duration,
    /// Token hash → the session's user, its expiry and when the database last vouched for it.
    remembered: Mutex<HashMap<Vec<u8>, (EntityRef, Timestamp, Instant)>>,
}

impl Sessions {
    pub fn new(db: Db, ttl: Duration) -> Self {
        Self { db, ttl, remembered: Mutex::default() }
    }

    /// Starts a session for `user` and returns its token; the token itself is never stored.
    pub async fn create(&self, user: &EntityRef) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let now = Timestamp::now();
        let expires = now.plus(self.ttl);
        with_pool!(&self.db, write, |pool| {
            sqlx::query("INSERT INTO session (token_hash, user_ref, created, expires) VALUES ($1, $2, $3, $4)")
                .bind(hash(&token))
                .bind(user.as_str())
                .bind(now.micros())
                .bind(expires.micros())
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(token)
    }

    /// The user a live session token belongs to.
    pub async fn user_for(&self, token: &str) -> Result<Option<EntityRef>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = hash(token);
        let now = Timestamp::now();
        if let Some((user, expires, checked)) = self.remembered().get(&hash)
            && checked.elapsed() < RECHECK_AFTER
            && *expires > now
        {
            return Ok(Some(user.clone()));
        }
        let found: Option<(String, i64)> = with_pool!(&self.db, read, |pool| {
            sqlx::query_as("SELECT user_ref, expires FROM session WHERE token_hash = $1 AND expires > $2")
                .bind(&hash)
                .bind(now.micros())
                .fetch_optional(pool)
                .await
        })?;
        let found = found.and_then(|(text, expires)| Some((EntityRef::parse(&text).ok()?, expires)));
        let mut remembered = self.remembered();
        match &found {
            Some((user, expires)) => {
                if remembered.len() >= REMEMBERED {
                    remembered.clear();
                }
                remembered.insert(hash, (user.clone(), Timestamp::from_micros(*expires), Instant::now()));
            }
            None => {
                remembered.remove(&hash);
            }
        }
        Ok(found.map(|(user, _)| user))
    }

    pub async fn delete(&self, token: &str) -> Result<()> {
        self.remembered().remove(&hash(token));
        with_pool!(&self.db, write, |pool| {
            sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(hash(token)).execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, (EntityRef, Timestamp, Instant)>> {
        // A panic while holding it leaves a map of sessions that were all vouched for.
        self.remembered.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired(&self) -> Result<u64> {
        let done = with_pool!(&self.db, write, |pool| {
            sqlx::query("DELETE FROM session WHERE expires <= $1")
                .bind(Timestamp::now().micros())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
