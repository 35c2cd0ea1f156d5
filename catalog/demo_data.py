"""The believable demo catalog loaded by `seed_demo` (backoffice). Amounts are in cents.
An add-on is (label, amount) or (label, amount, "subscription") when it comes with monthly
billing only."""

CATEGORIES = [
    ("instagram", "Instagram growth", "Followers, engagement and reach for Instagram accounts."),
    ("tiktok", "TikTok growth", "Views, followers and creator momentum on TikTok."),
    ("youtube", "YouTube growth", "Subscribers, watch time and discovery for channels."),
    ("content", "Content production", "Posts, reels and short videos made by our studio."),
    ("analytics", "Analytics & strategy", "Audits, reporting and strategy for growing brands."),
]

SIZE = "Package size"
PACE = "Delivery pace"

PRODUCTS = [
    {
        "slug": "instagram-growth",
        "title": "Instagram Growth",
        "category": "instagram",
        "platform": "instagram",
        "base_amount": 4900,
        "billing_modes": "both",
        "subscription_amount": 3900,
        "quantity_label": "accounts",
        "one_account_per_unit": True,
        "max_quantity": 12,
        "summary": "Organic-looking follower growth from targeted, real-interest audiences.",
        "description": "We grow your Instagram audience with interest-targeted promotion, "
        "steady daily delivery and a refill guarantee for 30 days.\n\nEvery order comes with "
        "progress tracking and weekly analytics snapshots in your dashboard.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("1,000 followers", 0, True),
                    ("2,500 followers", 5000, False),
                    ("5,000 followers", 11000, False),
                    ("10,000 followers", 19900, False),
                ],
            ),
            (
                PACE,
                "single",
                True,
                [("Steady (30 days)", 0, True), ("Fast (10 days)", 1500, False)],
            ),
            (
                "Targeting",
                "multiple",
                False,
                [("Country targeting", 1200, False), ("Niche hashtags", 900, False)],
            ),
        ],
        "addons": [("Story views boost", 990), ("Monthly strategy call", 4900, "subscription")],
        "tiers": [(3, "5"), (6, "10"), (12, "15")],
    },
    {
        "slug": "instagram-likes",
        "title": "Instagram Post Likes",
        "category": "instagram",
        "platform": "instagram",
        "base_amount": 1900,
        "quantity_label": "posts",
        "max_quantity": 50,
        "summary": "Likes spread naturally across your newest posts within hours.",
        "description": "Lift social proof on launch posts. Likes arrive gradually from active accounts.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("250 likes", 0, True),
                    ("1,000 likes", 2900, False),
                    ("5,000 likes", 9900, False),
                ],
            )
        ],
        "addons": [("Saves and shares", 700)],
        "tiers": [(5, "5"), (20, "12")],
    },
    {
        "slug": "instagram-reels-views",
        "title": "Instagram Reels Views",
        "category": "instagram",
        "platform": "instagram",
        "base_amount": 1500,
        "quantity_label": "reels",
        "max_quantity": 50,
        "summary": "Push new Reels into discovery with high-retention views.",
        "description": "Views are delivered with realistic retention curves to help the algorithm pick up your Reel.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("5,000 views", 0, True),
                    ("25,000 views", 4500, False),
                    ("100,000 views", 14500, False),
                ],
            )
        ],
        "addons": [],
        "tiers": [(10, "8")],
    },
    {
        "slug": "tiktok-growth",
        "title": "TikTok Growth",
        "category": "tiktok",
        "platform": "tiktok",
        "base_amount": 5900,
        "billing_modes": "both",
        "subscription_amount": 4500,
        "quantity_label": "accounts",
        "one_account_per_unit": True,
        "max_quantity": 12,
        "summary": "Followers and For You momentum for creators and brands on TikTok.",
        "description": "A managed TikTok growth programme: follower delivery, view boosts on new "
        "uploads and a monthly performance review.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("1,000 followers", 0, True),
                    ("5,000 followers", 12900, False),
                    ("10,000 followers", 21900, False),
                ],
            ),
            (
                PACE,
                "single",
                True,
                [("Steady (30 days)", 0, True), ("Fast (10 days)", 1900, False)],
            ),
        ],
        "addons": [("New-upload view boost", 1900), ("Hashtag research pack", 2900)],
        "tiers": [(3, "5"), (6, "10")],
    },
    {
        "slug": "tiktok-views",
        "title": "TikTok Video Views",
        "category": "tiktok",
        "platform": "tiktok",
        "base_amount": 900,
        "quantity_label": "videos",
        "max_quantity": 100,
        "summary": "Fast, retention-friendly views for TikTok uploads.",
        "description": "Give new uploads an early push so they reach the For You feed.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("10,000 views", 0, True),
                    ("50,000 views", 2900, False),
                    ("250,000 views", 11900, False),
                ],
            )
        ],
        "addons": [("Likes bundle", 900)],
        "tiers": [(10, "10"), (50, "20")],
    },
    {
        "slug": "tiktok-live-boost",
        "title": "TikTok LIVE Boost",
        "category": "tiktok",
        "platform": "tiktok",
        "base_amount": 3900,
        "quantity_label": "streams",
        "max_quantity": 20,
        "summary": "Concurrent viewers and engagement for your TikTok LIVE sessions.",
        "description": "Keep LIVE sessions lively with viewers that stay and interact.",
        "groups": [
            (
                "Stream length",
                "single",
                True,
                [
                    ("30 minutes", 0, True),
                    ("60 minutes", 2900, False),
                    ("120 minutes", 6900, False),
                ],
            )
        ],
        "addons": [("Comment moderation", 1500)],
        "tiers": [(5, "7.5")],
    },
    {
        "slug": "youtube-subscribers",
        "title": "YouTube Subscribers",
        "category": "youtube",
        "platform": "youtube",
        "base_amount": 7900,
        "quantity_label": "packages",
        "max_quantity": 10,
        "summary": "Subscriber growth that helps channels reach monetisation.",
        "description": "Subscribers from viewers interested in your niche, delivered over 30 days.",
        "groups": [
            (
                SIZE,
                "single",
                True,
                [
                    ("500 subscribers", 0, True),
                    ("1,000 subscribers", 6900, False),
                    ("5,000 subscribers", 29900, False),
                ],
            )
        ],
        "addons": [("Channel SEO review", 3900)],
        "tiers": [(3, "5")],
    },
    {
        "slug": "youtube-watch-time",
        "title": "YouTube Watch Time",
        "category": "youtube",
        "platform": "youtube",
        "base_amount": 9900,
        "quantity_label": "packages",
        "max_quantity": 10,
        "summary": "Watch hours that count toward the Partner Programme threshold.",
        "description": "Long-form watch time delivered steadily across your existing videos.",
        "groups": [
            (SIZE, "single", True, [("1,000 hours", 0, True), ("4,000 hours", 24900, False)])
        ],
        "addons": [],
        "tiers": [],
    },
    {
        "slug": "reels-production",
        "title": "Reels Production Pack",
        "category": "content",
        "platform": "multi",
        "base_amount": 34900,
        "quantity_label": "packs",
        "max_quantity": 12,
        "summary": "Scripted, shot and edited short videos for Reels, TikTok and Shorts.",
        "description": "Our studio writes, films and edits vertical videos in your brand voice.",
        "groups": [
            (
                "Videos per pack",
                "single",
                True,
                [("4 videos", 0, True), ("8 videos", 29900, False), ("12 videos", 54900, False)],
            ),
            (
                "Extras",
                "multiple",
                False,
                [
                    ("Captions in 3 languages", 4900, False),
                    ("Trending audio research", 1900, False),
                ],
            ),
        ],
        "addons": [("Raw footage handover", 9900)],
        "tiers": [(3, "10")],
    },
    {
        "slug": "content-calendar",
        "title": "Content Calendar Subscription",
        "category": "content",
        "platform": "multi",
        "base_amount": 0,
        "billing_modes": "subscription",
        "subscription_amount": 19900,
        "quantity_label": "brands",
        "max_quantity": 5,
        "summary": "A month of planned, designed and scheduled posts, every month.",
        "description": "Monthly planning session, 12 designed posts and scheduling across your channels.",
        "groups": [
            (
                "Channels",
                "multiple",
                True,
                [("Instagram", 0, True), ("TikTok", 4900, False), ("LinkedIn", 4900, False)],
            )
        ],
        "addons": [("Community management", 14900)],
        "tiers": [(2, "10")],
    },
    {
        "slug": "instagram-audit",
        "title": "Instagram Account Audit",
        "category": "analytics",
        "platform": "instagram",
        "base_amount": 14900,
        "quantity_label": "accounts",
        "one_account_per_unit": True,
        "max_quantity": 10,
        "summary": "A deep audit of content, audience and growth levers, with a 90-day plan.",
        "description": "We analyse 90 days of posts, your audience and competitors, and deliver a prioritised plan.",
        "groups": [
            (
                "Depth",
                "single",
                True,
                [("Essentials", 0, True), ("Competitive deep dive", 9900, False)],
            )
        ],
        "addons": [("Walkthrough video call", 4900)],
        "tiers": [(3, "10")],
    },
    {
        "slug": "analytics-reporting",
        "title": "Growth Analytics Reporting",
        "category": "analytics",
        "platform": "multi",
        "base_amount": 0,
        "billing_modes": "subscription",
        "subscription_amount": 7900,
        "quantity_label": "accounts",
        "one_account_per_unit": True,
        "max_quantity": 20,
        "summary": "Weekly cross-platform reports with baselines, trends and recommendations.",
        "description": "Follower, reach and engagement tracking across platforms with a weekly digest.",
        "groups": [
            ("Report cadence", "single", True, [("Weekly", 0, True), ("Daily", 3900, False)])
        ],
        "addons": [("Competitor benchmarks", 2900)],
        "tiers": [(5, "10"), (10, "20")],
    },
    {
        "slug": "influencer-shoutouts",
        "title": "Influencer Shoutouts",
        "category": "instagram",
        "platform": "instagram",
        "base_amount": 24900,
        "quantity_label": "shoutouts",
        "max_quantity": 10,
        "summary": "Story shoutouts from vetted creators in your niche.",
        "description": "We match you with creators whose audiences fit your brand and coordinate the posts.",
        "groups": [
            (
                "Creator tier",
                "single",
                True,
                [("Micro (10k–50k)", 0, True), ("Mid (50k–250k)", 45000, False)],
            )
        ],
        "addons": [("Creative brief writing", 4900)],
        "tiers": [(3, "5")],
    },
]

# A running campaign: 20% off every TikTok service.
CAMPAIGN = {"name": "Creator Season", "badge": "20% off", "percent": "20", "categories": ["tiktok"]}

# Fulfillment plans by platform/category: (name, kind, adapter, parameters).
DELIVERY = (
    "Deliver growth",
    "delivery",
    "sandbox",
    {"units_per_quantity": 1000, "progress_steps": 4},
)
ANALYTICS = ("Instagram analytics snapshot", "analytics", "sandbox", {"analytics": True})
REVIEW = (
    "Studio review and hand-over",
    "review",
    "manual",
    {"instructions": "Check the deliverables and send them to the client."},
)
PLANS = {
    "instagram": [DELIVERY, ANALYTICS],
    "tiktok": [DELIVERY],
    "youtube": [DELIVERY],
    "content": [REVIEW],
    "analytics": [ANALYTICS],
}
