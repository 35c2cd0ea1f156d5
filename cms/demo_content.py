"""Copy for the seeded CMS pages."""

HOME = {
    "title": "SMPLAT",
    "hero_heading": "Growth services you can configure, pay for and watch happen.",
    "hero_text": "Choose a service, tune it to your account, pay securely, and follow delivery "
    "and analytics in your client dashboard.",
    "featured": [
        "instagram-growth",
        "tiktok-growth",
        "youtube-subscribers",
        "reels-production",
        "instagram-audit",
        "analytics-reporting",
    ],
}

HOME_METRICS = [
    ("12,400+", "accounts grown"),
    ("38M", "followers delivered"),
    ("4.9/5", "average client rating"),
    ("24 h", "median time to first results"),
]
HOME_TESTIMONIALS = [
    (
        "We went from 3k to 19k followers in four months, and the dashboard showed every step.",
        "Maya Rossi",
        "Owner, Caffè Rossi",
    ),
    (
        "The only agency that tells me exactly what was delivered and when.",
        "Jonas Berg",
        "Founder, Nordtrail Outdoor",
    ),
    ("Our TikTok launches finally get picked up by the For You feed.", "Aisha Bello", "Creator"),
]

PRODUCTS = {
    "instagram-growth": {
        "tagline": "Targeted, organic-looking Instagram growth with a 30-day refill guarantee.",
        "hero": (
            "Real audiences for real brands",
            "Interest-targeted promotion brings followers who engage. Delivery is steady, reported daily, and refilled for 30 days.",
        ),
        "metrics": [
            ("8,900+", "Instagram accounts grown"),
            ("97%", "orders delivered on time"),
            ("30 days", "refill guarantee"),
        ],
        "testimonials": [
            (
                "Steady growth, no sudden spikes, and the analytics made it easy to show my boss.",
                "Lena Park",
                "Marketing lead, Bloom Studio",
            ),
            (
                "I picked the fast pace for a launch week and it delivered exactly as promised.",
                "Tomás Rivera",
                "Musician",
            ),
        ],
        "faqs": [
            (
                "Is it safe for my account?",
                "Yes. Delivery is gradual and from real-interest audiences; we never ask for your password.",
            ),
            (
                "How fast will I see results?",
                "Most accounts see the first followers within 24 hours; the full package lands within the pace you chose.",
            ),
            ("What if followers drop?", "Anything lost within 30 days is refilled automatically."),
        ],
        "gallery": [
            ("Audience targeting", (75, 43, 214)),
            ("Daily delivery report", (224, 51, 111)),
            ("Growth analytics", (19, 102, 58)),
        ],
        "rich_text": "<h3>What you get</h3><ul><li>Interest and country targeting</li><li>Daily delivery reports in your dashboard</li><li>Weekly analytics snapshots with baselines</li></ul>",
    },
    "tiktok-growth": {
        "tagline": "Followers and For You momentum for creators and brands on TikTok.",
        "hero": (
            "Get your TikTok seen",
            "Follower growth plus view boosts on every new upload, so the algorithm notices you sooner.",
        ),
        "metrics": [
            ("2.1M", "views delivered last month"),
            ("5,300+", "TikTok creators served"),
            ("10 days", "fastest delivery pace"),
        ],
        "testimonials": [
            (
                "My last three videos hit the For You page within a day of posting.",
                "Aisha Bello",
                "Creator",
            ),
            (
                "Finally a service that reports what it delivered, video by video.",
                "Ravi Mehta",
                "Founder, SnackLab",
            ),
        ],
        "faqs": [
            ("Do you need my login?", "Never. We only need your public handle."),
            (
                "Can I pause a subscription?",
                "Yes, from your dashboard at any time; you are billed per month.",
            ),
        ],
        "gallery": [
            ("Upload boost", (17, 17, 17)),
            ("Creator insights", (37, 244, 238)),
            ("Follower curve", (254, 44, 85)),
        ],
        "rich_text": "<h3>Built for creators</h3><p>Choose one-off packages or a monthly plan. Every new upload can get a view boost to kick-start discovery.</p>",
    },
}

BUNDLES = [
    (
        "Instagram launch kit",
        "Growth plus an expert audit of your account.",
        "10",
        ["instagram-growth", "instagram-audit"],
    ),
    (
        "Creator starter pack",
        "TikTok growth with views on your next uploads.",
        "12.5",
        ["tiktok-growth", "tiktok-views"],
    ),
]
