"""Numbers and paths from the contract, and the library's own defaults; a leaf."""

DEFAULT_BASE_URL = "https://synap-cloud-prod.maximem.ai"

WHOAMI_PATH = "/api/v1/auth/whoami"
BATCH_PATH = "/api/v1/memories/batch"
CREATE_PATH = "/api/v1/memories/create"
STATUS_PATH = "/api/v1/memories/status/"
#: Memories live under /api/v1; data, context, conversations, users and credits under /v1 (the split
#: is the service's, not a typo).
MEMORY_PATH = "/api/v1/memories/"
FORGET_PATH = "/api/v1/memories/forget"
UPLOAD_PATH = "/api/v1/memories/upload"
DATA_DELETE_PATH = "/v1/data/delete"
CREDITS_BALANCE_PATH = "/v1/credits/balance"
CREDITS_ESTIMATE_PATH = "/v1/credits/estimate"
CREDITS_LEDGER_PATH = "/v1/credits/ledger"
CREDITS_REDEEM_PATH = "/v1/credits/redeem"
CONTEXT_FETCH_PATHS = {
    "user": "/v1/context/user/fetch",
    "customer": "/v1/context/customer/fetch",
    "client": "/v1/context/client/fetch",
    "conversation": "/v1/context/conversation/fetch",
}
CONVERSATIONS_PATH = "/v1/conversations/"
MESSAGES_PATH = "/v1/conversations/messages"
MESSAGES_BATCH_PATH = "/v1/conversations/messages/batch"
TRANSCRIPT_PATH = "/v1/conversations/ingest"
COMPACT_PATH = "/v1/conversations/compact"
USERS_PATH = "/v1/users/"
#: The writes a 409 instance_not_ready holds back until its wait has passed (the official SDK's gated
#: paths): creating memories, recording conversations and the context fetches, not
#: get/update/delete/forget/upload/credits or compaction.
GATED_PATHS = frozenset(
    {BATCH_PATH, CREATE_PATH, MESSAGES_PATH, MESSAGES_BATCH_PATH, TRANSCRIPT_PATH, *CONTEXT_FETCH_PATHS.values()}
)

#: The service's ceiling on documents per ``batch_create`` call.
MAX_BATCH_SIZE = 100

#: The official SDK's connect and read timeouts, in seconds.
DEFAULT_TIMEOUT = (5.0, 30.0)
#: Retries after the first attempt (three attempts in all, as the official SDK).
DEFAULT_MAX_RETRIES = 2
#: Seconds one call may take in all (pacing, attempts, backoff, reading the reply) unless told otherwise:
#: three attempts at the official timeouts with their backoff fit, a hung server does not.
DEFAULT_DEADLINE = 120.0
#: A reply larger than this is refused while it streams in (real replies are a few hundred KB at most).
DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024

BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 10.0
JITTER = 0.25
#: A Retry-After longer than this is not waited out within one call.
MAX_RETRY_AFTER_SECONDS = 60.0
#: 429s one call waits out on the pace before giving up (its deadline usually ends it first).
MAX_THROTTLED_ATTEMPTS = 50
#: The service caps its instance_not_ready wait at this many seconds.
MAX_NOT_READY_SECONDS = 300.0

#: 429 reasons that waiting will not clear.
PERMANENT_RATE_LIMIT_REASONS = frozenset({"trial_limit_reached", "subscription_inactive"})
