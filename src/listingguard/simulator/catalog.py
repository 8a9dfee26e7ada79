"""The benign side of the synthetic marketplace: categories, items, brands and everyday phrasing.

Everything here is invented for the simulator (it is synthetic data, not scraped listings). Items come in
Japanese and English because the marketplace the design grew from is Japanese and its sellers mix both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    """A marketplace category with its typical (median) price in yen and the items sold in it."""

    name: str
    median_price: int
    items_ja: tuple[str, ...]
    items_en: tuple[str, ...]
    brands: tuple[str, ...] = ()
    spread: float = 0.6  # standard deviation of log price around the median


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand as it appears in the brand field and as sellers write it in text."""

    name: str
    ja: tuple[str, ...]
    en: tuple[str, ...]
    luxury: bool = False


BRANDS: dict[str, Brand] = {
    b.name: b
    for b in (
        Brand(
            "Louis Vuitton", ("ルイヴィトン", "ヴィトン", "ルイ・ヴィトン"), ("Louis Vuitton", "LV", "Vuitton"), True
        ),
        Brand("Chanel", ("シャネル",), ("Chanel", "CHANEL"), True),
        Brand("Gucci", ("グッチ",), ("Gucci", "GUCCI"), True),
        Brand("Hermes", ("エルメス",), ("Hermes", "HERMES"), True),
        Brand("Rolex", ("ロレックス",), ("Rolex", "ROLEX"), True),
        Brand("Prada", ("プラダ",), ("Prada", "PRADA"), True),
        Brand("Omega", ("オメガ",), ("Omega", "OMEGA"), True),
        Brand("Dior", ("ディオール",), ("Dior", "DIOR"), True),
        Brand("Nike", ("ナイキ",), ("Nike", "NIKE")),
        Brand("Adidas", ("アディダス",), ("Adidas", "adidas")),
        Brand("Supreme", ("シュプリーム",), ("Supreme",)),
        Brand("Uniqlo", ("ユニクロ",), ("Uniqlo", "UNIQLO")),
        Brand("Sony", ("ソニー",), ("Sony", "SONY")),
        Brand("Nintendo", ("任天堂",), ("Nintendo",)),
        Brand("Apple", ("アップル",), ("Apple",)),
        Brand("Canon", ("キヤノン",), ("Canon",)),
        Brand("Shiseido", ("資生堂",), ("Shiseido",)),
        Brand("Coleman", ("コールマン",), ("Coleman",)),
        Brand("Snow Peak", ("スノーピーク",), ("Snow Peak",)),
        Brand("Muji", ("無印良品",), ("MUJI",)),
        Brand("Seiko", ("セイコー",), ("Seiko", "SEIKO")),
        Brand("Casio", ("カシオ",), ("Casio", "G-SHOCK")),
        Brand("Coach", ("コーチ",), ("Coach", "COACH")),
        Brand("Bandai", ("バンダイ",), ("Bandai",)),
    )
}

LUXURY_BRANDS: tuple[str, ...] = tuple(name for name, b in BRANDS.items() if b.luxury)

CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "bags",
            18000,
            ("ショルダーバッグ", "トートバッグ", "ハンドバッグ", "リュック", "ボストンバッグ", "クラッチバッグ"),
            ("shoulder bag", "tote bag", "handbag", "backpack", "duffel bag", "clutch bag"),
            ("Louis Vuitton", "Chanel", "Gucci", "Hermes", "Prada", "Coach", "Dior", "Muji", "Uniqlo"),
        ),
        Category(
            "wallets",
            9000,
            ("長財布", "二つ折り財布", "コインケース", "キーケース", "カードケース", "名刺入れ"),
            ("long wallet", "bifold wallet", "coin purse", "key case", "card holder", "genuine leather wallet"),
            ("Louis Vuitton", "Chanel", "Gucci", "Hermes", "Prada", "Coach", "Muji"),
        ),
        Category(
            "watches",
            25000,
            ("腕時計", "クロノグラフ", "ダイバーズウォッチ", "スマートウォッチ", "懐中時計"),
            ("wristwatch", "chronograph", "dive watch", "smartwatch", "pocket watch", "gunmetal grey watch"),
            ("Rolex", "Omega", "Seiko", "Casio", "Apple"),
        ),
        Category(
            "shoes",
            9000,
            ("スニーカー", "ランニングシューズ", "ブーツ", "サンダル", "パンプス", "ローファー"),
            ("sneakers", "running shoes", "boots", "sandals", "pumps", "loafers", "snow boots"),
            ("Nike", "Adidas", "Gucci", "Prada", "Uniqlo"),
        ),
        Category(
            "clothing",
            3500,
            (
                "Tシャツ",
                "パーカー",
                "ジャケット",
                "ワンピース",
                "ジーンズ",
                "セーター",
                "コート",
                "レプリカユニフォーム",
            ),
            ("t-shirt", "hoodie", "jacket", "dress", "jeans", "sweater", "coat", "adult size t-shirt"),
            ("Uniqlo", "Nike", "Adidas", "Supreme", "Muji", "Chanel"),
        ),
        Category(
            "jewelry",
            7000,
            ("ネックレス", "ピアス", "指輪", "ブレスレット", "イヤリング"),
            ("necklace", "earrings", "ring", "bracelet", "pendant"),
            ("Chanel", "Dior", "Hermes"),
        ),
        Category(
            "electronics",
            28000,
            ("ワイヤレスイヤホン", "デジタルカメラ", "ノートパソコン", "タブレット", "スマートフォン", "ヘッドホン"),
            ("wireless earbuds", "digital camera", "laptop", "tablet", "smartphone", "headphones"),
            ("Sony", "Apple", "Canon"),
        ),
        Category(
            "games",
            4500,
            ("ゲームソフト", "コントローラー", "ゲーム機 本体", "攻略本", "amiibo"),
            ("video game", "controller", "game console", "strategy guide", "retro game cartridge"),
            ("Nintendo", "Sony", "Bandai"),
        ),
        Category(
            "toys_hobby",
            2800,
            ("プラモデル", "フィギュア", "ぬいぐるみ", "ミニカー", "ガンダム プラモデル", "水鉄砲", "ブロック"),
            (
                "plastic model kit",
                "figure",
                "plush toy",
                "die-cast car",
                "water gun",
                "building blocks",
                "toy gun for kids",
            ),
            ("Bandai",),
        ),
        Category(
            "books_media",
            900,
            ("小説", "漫画 全巻セット", "写真集", "参考書", "DVD", "ブルーレイ"),
            ("novel", "manga box set", "photo book", "textbook", "DVD", "Top Gun Maverick Blu-ray"),
        ),
        Category(
            "cosmetics",
            2200,
            ("化粧水", "口紅", "ファンデーション", "香水", "アイシャドウ", "日焼け止め"),
            ("toner", "lipstick", "foundation", "perfume", "eyeshadow palette", "sunscreen"),
            ("Shiseido", "Chanel", "Dior"),
        ),
        Category(
            "outdoor",
            7000,
            ("テント", "寝袋", "ランタン", "クーラーボックス", "アウトドアチェア", "キャンプ用ナイフ"),
            ("tent", "sleeping bag", "lantern", "cooler box", "camping chair", "camping knife"),
            ("Coleman", "Snow Peak"),
        ),
        Category(
            "home",
            3200,
            ("マグカップ", "包丁 三徳", "フライパン", "クッション", "加湿器", "トイレットペーパー", "マスク 50枚"),
            ("mug", "chef knife set", "frying pan", "cushion", "humidifier", "toilet paper", "face masks 50 pack"),
            ("Muji",),
        ),
        Category(
            "pet_supplies",
            2300,
            ("猫じゃらし", "犬用ベッド", "キャットタワー", "ハムスターケージ", "水槽 フィルター", "首輪"),
            ("cat toy", "dog bed", "cat tree", "hamster cage", "fish tank filter", "dog collar"),
        ),
        Category(
            "tickets",
            8500,
            ("ライブ チケット", "映画 前売り券", "美術館 招待券", "チケットホルダー"),
            ("concert ticket", "movie ticket", "museum pass", "ticket holder"),
            spread=0.35,
        ),
        Category(
            "collectibles",
            5200,
            ("古銭 寛永通宝", "記念硬貨", "切手 コレクション", "ポケモンカード", "トレーディングカード"),
            ("old coins", "commemorative coin", "stamp collection", "trading cards", "Pokemon cards"),
        ),
        Category(
            "food",
            2400,
            ("お米 10kg", "ハーブティー", "野菜の種", "チョコレート 詰め合わせ", "コーヒー豆"),
            ("rice 10kg", "herbal tea", "vegetable seeds", "chocolate assortment", "coffee beans"),
        ),
        Category(
            "health",
            2600,
            ("ビタミン サプリ", "プロテイン", "マッサージ器", "体温計", "CBD バーム"),
            ("vitamin supplements", "protein powder", "massager", "thermometer", "CBD balm"),
        ),
    )
}

CONDITIONS = ("new", "like_new", "good", "fair", "poor")
CONDITION_WEIGHTS = (0.2, 0.25, 0.3, 0.17, 0.08)
CONDITION_JA = {
    "new": "新品未使用",
    "like_new": "未使用に近い",
    "good": "目立った傷や汚れなし",
    "fair": "やや傷や汚れあり",
    "poor": "傷や汚れあり",
}
CONDITION_EN = {
    "new": "brand new",
    "like_new": "like new",
    "good": "good condition",
    "fair": "some wear",
    "poor": "well used",
}

TITLE_TAGS_JA = ("【美品】", "【新品】", "【即購入OK】", "【送料無料】", "★お値下げ★", "", "", "", "")
TITLE_TAGS_EN = ("[Like new]", "[Free shipping]", "SALE", "", "", "", "")

DESCRIPTION_JA = (
    "ご覧いただきありがとうございます。",
    "即購入OKです。",
    "自宅保管品のためご理解のある方のみお願いします。",
    "ペットや喫煙者はいない環境です。",
    "数回使用しました。",
    "箱と付属品は写真のものが全てです。",
    "丁寧に梱包して発送します。",
    "値下げ交渉はご遠慮ください。",
    "サイズが合わなくなったので出品します。",
    "引っ越しのため処分します。",
    "プレゼントでいただいたものです。",
    "状態は写真でご確認ください。",
    "週末の発送になります。",
    "国内正規店で購入しました。",
    "匿名配送で発送します。",
    "手渡しも可能です。",
    "海外から取り寄せました。",
    "箱はありません。",
    "コメントからお気軽にどうぞ。",
    "リピーター様には割引します。",
)
DESCRIPTION_EN = (
    "Thanks for looking.",
    "Smoke-free and pet-free home.",
    "Used only a few times.",
    "Comes with the original box.",
    "Ships within two days, carefully packed.",
    "No returns, please check the photos.",
    "Selling because I am moving.",
    "It was a gift but not my style.",
    "Bought at the official store.",
    "Price is firm.",
    "Minor scratches, see photos.",
    "Happy to answer questions.",
    "Anonymous shipping available.",
    "Can meet in person.",
    "Imported from overseas.",
    "No box.",
    "Message me with any questions.",
    "Discount for repeat buyers.",
)
