-- Up Migration

-- A person's account. The e-mail address is stored lower-cased (the contracts' Email does that)
-- and is the sign-in name; the password is optional (scrypt, see src/domain/password.ts).
create table customers (
  id uuid primary key,
  email text not null unique check (email = lower(email)),
  name text not null,
  password_hash text,
  -- Failed password attempts in a row and until when further attempts are refused.
  password_failures integer not null default 0,
  password_locked_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table addresses (
  id uuid primary key,
  customer_id uuid not null references customers (id) on delete cascade,
  address jsonb not null,
  is_default boolean not null default false,
  created_at timestamptz not null default now()
);
create index addresses_customer on addresses (customer_id, created_at);
-- At most one default address per customer.
create unique index addresses_one_default on addresses (customer_id) where is_default;

-- One-time sign-in codes: only a keyed hash of the code is kept; a code is short-lived and allows
-- few attempts. purpose sign_up carries the name the person gave, used when the code is confirmed.
create table sign_in_codes (
  id uuid primary key,
  email text not null,
  purpose text not null check (purpose in ('sign_in', 'sign_up')),
  name text,
  code_hash text not null,
  attempts integer not null default 0,
  expires_at timestamptz not null,
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index sign_in_codes_email on sign_in_codes (email, created_at);

-- The signed-in browser on the account pages (not the OAuth server's own session).
create table account_sessions (
  id_hash text primary key,
  customer_id uuid not null references customers (id) on delete cascade,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index account_sessions_expiry on account_sessions (expires_at);

-- Everything the OAuth server stores (oidc-provider models: Session, Interaction, Grant,
-- AuthorizationCode, AccessToken, RefreshToken, Client, ...), so any instance serves them.
create table oidc_models (
  model text not null,
  id text not null,
  payload jsonb not null,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (model, id)
);
create index oidc_models_grant on oidc_models (grant_id) where grant_id is not null;
create index oidc_models_uid on oidc_models (uid) where uid is not null;
create index oidc_models_user_code on oidc_models (user_code) where user_code is not null;
create index oidc_models_expiry on oidc_models (expires_at) where expires_at is not null;
-- Connected apps: an account's grants.
create index oidc_models_account on oidc_models ((payload ->> 'accountId')) where model = 'Grant';

-- Down Migration
drop table oidc_models;
drop table account_sessions;
drop table sign_in_codes;
drop table addresses;
drop table customers;
