"""The violating side of the synthetic marketplace: eight policy topics and their look-alike decoys.

Each topic has *waves* of vocabulary: the words sellers use from day 0, and new slang that appears later.
The default rule set knows only the day-0 words, which is how rules decay while models retrained on fresh
labels keep up. Each topic also has decoys: benign listings that look risky (``toy gun``, ``gunmetal``,
``replica uniform``, a stuffed kitten), which is what keeps naive keyword rules imprecise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wave:
    """Words sellers start using on ``day``."""

    day: int
    ja: tuple[str, ...]
    en: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decoy:
    """A benign listing that looks like a violation of a topic."""

    title: str
    description: str
    category: str
    lang: str
    price_factor: tuple[float, float] = (0.5, 1.5)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How violations of one topic are written, priced and where they are listed."""

    name: str
    severity: float
    prevalence: float
    categories: tuple[str, ...]
    waves: tuple[Wave, ...]
    titles_ja: tuple[str, ...]
    titles_en: tuple[str, ...]
    descriptions_ja: tuple[str, ...]
    descriptions_en: tuple[str, ...]
    price_factor: tuple[float, float]
    decoys: tuple[Decoy, ...]
    keywordless_share: float = 0.0  # share written without any topic word (only price or context betrays it)
    hidden_share: float = 0.1  # share whose text looks entirely benign (the photos show the violation)


ARTISTS = ("嵐", "King Gnu", "YOASOBI", "Mrs. GREEN APPLE", "BTS", "Ado", "Taylor Swift", "Official髭男dism")

TOPICS: dict[str, TopicSpec] = {
    t.name: t
    for t in (
        TopicSpec(
            name="weapons",
            severity=1.0,
            prevalence=0.002,
            categories=("toys_hobby", "outdoor", "collectibles"),
            waves=(
                Wave(
                    0,
                    (
                        "拳銃",
                        "実銃",
                        "スタンガン",
                        "ボウガン",
                        "ダガーナイフ",
                        "バタフライナイフ",
                        "メリケンサック",
                        "特殊警棒",
                    ),
                    (
                        "handgun",
                        "real gun",
                        "stun gun",
                        "crossbow",
                        "dagger",
                        "butterfly knife",
                        "brass knuckles",
                        "switchblade",
                    ),
                ),
                Wave(
                    12,
                    ("スタンロッド", "改造エアガン", "仕込み杖", "飛び出しナイフ"),
                    ("self defense zapper", "knuckle duster", "gravity knife"),
                ),
                Wave(30, ("スタン警棒", "実弾"), ("ghost gun kit", "80 lower receiver")),
            ),
            titles_ja=(
                "{term} 護身用",
                "【希少】{term} 美品",
                "{term} 未使用",
                "{term} 中古 動作確認済み",
                "本物 {term}",
            ),
            titles_en=("{term} self defense", "{term} brand new", "used {term} works great", "rare {term}"),
            descriptions_ja=(
                "{term}です。護身用に購入しましたが使わないため出品します。",
                "本物の{term}です。おもちゃではありません。",
                "動作確認済み。扱いに慣れた方のみご購入ください。",
                "手渡しも可能です。詳細はコメントでお願いします。",
            ),
            descriptions_en=(
                "Real {term}, not a toy.",
                "Bought for self defense, never needed it.",
                "Fully working. Buyer must be experienced.",
                "Can meet in person. Message me for details.",
            ),
            price_factor=(1.0, 6.0),
            decoys=(
                Decoy("モデルガン 観賞用 発射不可", "観賞用のモデルガンです。おもちゃです。", "toys_hobby", "ja"),
                Decoy("水鉄砲 子供用 夏休み", "子供用の水鉄砲です。", "toys_hobby", "ja"),
                Decoy("ガンダム プラモデル 未組立", "ガンプラです。箱に少し傷があります。", "toys_hobby", "ja"),
                Decoy("ガンメタ ホイールキャップ 4枚", "ガンメタリック色のホイールキャップです。", "home", "ja"),
                Decoy("グルーガン 手芸用", "手芸で数回使いました。", "home", "ja"),
                Decoy("エアガン おもちゃ 10歳以上", "おもちゃのエアガンです。BB弾付き。", "toys_hobby", "ja"),
                Decoy(
                    "スタンガン型 LEDライト おもちゃ", "スタンガンの形をしたおもちゃのライトです。", "toys_hobby", "ja"
                ),
                Decoy("toy gun for kids", "Plastic toy gun, makes sounds.", "toys_hobby", "en"),
                Decoy("gunmetal grey watch", "Gunmetal finish, keeps good time.", "watches", "en"),
                Decoy("Top Gun Maverick Blu-ray", "Watched once.", "books_media", "en"),
                Decoy("Guns N' Roses band t-shirt", "Vintage tour shirt.", "clothing", "en"),
                Decoy("chef knife set with block", "Kitchen knives, sharpened once.", "home", "en"),
                Decoy("butter knife set of 6", "Stainless steel table knives.", "home", "en"),
            ),
        ),
        TopicSpec(
            name="counterfeit",
            severity=0.7,
            prevalence=0.01,
            categories=("bags", "wallets", "watches", "shoes", "jewelry"),
            waves=(
                Wave(
                    0,
                    ("スーパーコピー", "レプリカ", "N級品", "コピー品", "偽物"),
                    ("replica", "super copy", "fake", "1:1 copy", "AAA quality"),
                ),
                Wave(10, ("S級品", "ミラー品", "同等品"), ("mirror quality", "inspired by", "same as original")),
                Wave(25, ("海外限定 格安", "タグなし 格安"), ("dupe", "UA quality")),
            ),
            titles_ja=("{brand} {item} {term}", "【{term}】{brand} {item}", "{brand} {item} {term} 箱付き"),
            titles_en=("{brand} {item} {term}", "{term} {brand} {item}", "{brand} {item} ({term})"),
            descriptions_ja=(
                "{term}です。細部まで忠実に再現しています。",
                "{term}なのでご理解のある方のみお願いします。",
                "本物と見分けがつきません。海外から取り寄せました。",
                "ギャランティカードはありません。",
            ),
            descriptions_en=(
                "{term}, looks exactly like the real one.",
                "High quality {term}, nobody can tell.",
                "Shipped from overseas, no receipt.",
                "No authenticity card.",
            ),
            price_factor=(0.08, 0.8),
            decoys=(
                Decoy(
                    "{brand} {item} 正規品 鑑定済み",
                    "国内正規店で購入しました。鑑定済みです。",
                    "bags",
                    "ja",
                    (1.2, 3.0),
                ),
                Decoy(
                    "{brand} {item} 本物保証", "百貨店で購入しました。レシートあります。", "wallets", "ja", (1.2, 3.0)
                ),
                Decoy("コピー用紙 A4 500枚", "未開封のコピー用紙です。", "home", "ja"),
                Decoy("レプリカユニフォーム サッカー 日本代表", "公式のレプリカユニフォームです。", "clothing", "ja"),
                Decoy(
                    "Authentic {brand} {item} with receipt",
                    "Bought at the boutique, receipt included.",
                    "bags",
                    "en",
                    (1.2, 3.0),
                ),
                Decoy("genuine leather wallet, no brand", "Real leather, handmade.", "wallets", "en"),
                Decoy("replica of a famous painting, framed poster", "Print of a famous painting.", "home", "en"),
            ),
            keywordless_share=0.35,
        ),
        TopicSpec(
            name="drugs",
            severity=1.0,
            prevalence=0.002,
            categories=("health", "food", "collectibles", "home"),
            waves=(
                Wave(
                    0,
                    ("大麻", "マリファナ", "覚醒剤", "睡眠薬", "デパス", "ハルシオン", "処方薬"),
                    ("weed", "marijuana", "cannabis buds", "xanax", "oxycodone", "meth"),
                ),
                Wave(
                    15,
                    ("手押し 野菜", "上質な野菜", "アイス 0.1", "ハーブ 強め"),
                    ("kush", "zaza", "420 friendly", "percs"),
                ),
                Wave(35, ("チョコ 1g", "冷たいやつ", "ブロッコリー 上物"), ("snow 1g", "molly")),
            ),
            titles_ja=("{term} 即日発送", "高品質 {term}", "{term} 匿名配送", "{term} お分けします"),
            titles_en=("{term} fast shipping", "top quality {term}", "{term} discreet", "{term} for sale"),
            descriptions_ja=(
                "{term}です。少量からお分けします。",
                "手渡し可能です。DMください。",
                "効き目は保証します。リピーター多数。",
                "中身がわからないように梱包します。",
            ),
            descriptions_en=(
                "{term}, small amounts available.",
                "DM for bulk, can meet up.",
                "Quality guaranteed, many repeat buyers.",
                "Packed so nobody can tell what is inside.",
            ),
            price_factor=(1.0, 5.0),
            decoys=(
                Decoy("ハーブティー 無農薬 30包", "カモミールのハーブティーです。", "food", "ja"),
                Decoy("アイスクリームメーカー 家庭用", "数回使用しました。", "home", "ja"),
                Decoy("野菜の種 セット 10種類", "家庭菜園用の種です。", "food", "ja"),
                Decoy("ブロッコリー 冷凍 1kg", "冷凍のブロッコリーです。", "food", "ja"),
                Decoy("睡眠 アイマスク シルク", "よく眠れるアイマスクです。", "health", "ja"),
                Decoy("CBD バーム 国内正規品", "THCフリーのCBDバームです。", "health", "ja"),
                Decoy("snow boots size 8", "Warm and waterproof.", "shoes", "en"),
                Decoy("cannabis leaf print t-shirt", "Graphic tee, cotton.", "clothing", "en"),
                Decoy("hemp tote bag", "Eco bag made of hemp fabric.", "bags", "en"),
            ),
        ),
        TopicSpec(
            name="cash_giftcards",
            severity=0.6,
            prevalence=0.004,
            categories=("collectibles", "tickets"),
            waves=(
                Wave(
                    0,
                    ("現金", "商品券", "Amazonギフト券", "iTunesカード", "ギフトカード", "一万円札"),
                    ("cash", "gift card", "amazon gift card", "itunes card", "prepaid card code"),
                ),
                Wave(
                    12,
                    ("コード通知", "電子マネー", "チャージ済みカード", "PayPayポイント"),
                    ("steam wallet code", "digital code via message"),
                ),
                Wave(30, ("福沢諭吉", "諭吉 10枚"), ("benjamins",)),
            ),
            titles_ja=("{term} 額面{face}円", "{term} {face}円分", "{term} すぐ使えます"),
            titles_en=("{term} ${n}0 value", "{term} ready to use", "{term} {face} yen"),
            descriptions_ja=(
                "{term}です。額面{face}円分。",
                "コードはメッセージでお送りします。",
                "使用期限はまだまだあります。",
            ),
            descriptions_en=(
                "{term} worth {face} yen.",
                "Code sent by message after payment.",
                "Unused balance, expires next year.",
            ),
            price_factor=(1.5, 6.0),
            decoys=(
                Decoy("古銭 寛永通宝 まとめ", "祖父のコレクションです。", "collectibles", "ja"),
                Decoy("記念硬貨 500円 天皇陛下御即位", "記念硬貨です。", "collectibles", "ja"),
                Decoy("ポケモンカード まとめ売り", "キラカード含みます。", "collectibles", "ja"),
                Decoy("カードケース 本革", "名刺やカード入れに。", "wallets", "ja"),
                Decoy("ギフトボックス ラッピング用", "プレゼント用の箱です。", "home", "ja"),
                Decoy("gift wrapping paper set", "Ten sheets, festive design.", "home", "en"),
                Decoy("coin purse, leather", "Small coin purse.", "wallets", "en"),
                Decoy("Pokemon cards bundle", "Includes holo cards.", "collectibles", "en"),
            ),
        ),
        TopicSpec(
            name="adult",
            severity=0.8,
            prevalence=0.003,
            categories=("clothing", "books_media"),
            waves=(
                Wave(
                    0,
                    ("使用済み下着", "アダルトDVD", "大人のおもちゃ", "着用済み ショーツ", "R18 動画"),
                    ("used panties", "adult dvd", "sex toy", "worn underwear"),
                ),
                Wave(15, ("生脱ぎ", "染み付き", "大人向け 秘密"), ("worn 3 days", "18+ only private")),
            ),
            titles_ja=("{term} 即発送", "{term} 写真付き", "【{term}】匿名配送"),
            titles_en=("{term} discreet", "{term} with photos", "{term} fast shipping"),
            descriptions_ja=(
                "{term}です。匿名で発送します。",
                "リクエストあればどうぞ。",
                "中身がわからないように梱包します。",
            ),
            descriptions_en=("{term}, shipped discreetly.", "Requests welcome.", "Plain packaging."),
            price_factor=(0.8, 3.0),
            decoys=(
                Decoy("新品 下着 タグ付き 3枚セット", "未使用の下着です。", "clothing", "ja"),
                Decoy("大人用 Tシャツ Lサイズ", "大人用のTシャツです。", "clothing", "ja"),
                Decoy("大人の塗り絵", "未使用です。", "books_media", "ja"),
                Decoy("adult coloring book", "Unused, relaxing patterns.", "books_media", "en"),
                Decoy("adult size hoodie", "Warm hoodie.", "clothing", "en"),
            ),
        ),
        TopicSpec(
            name="live_animals",
            severity=0.8,
            prevalence=0.003,
            categories=("pet_supplies",),
            waves=(
                Wave(
                    0,
                    ("子猫", "子犬", "生体", "メダカ 10匹", "熱帯魚", "ハムスター", "インコ"),
                    ("kitten", "puppy", "live fish", "hamster", "parakeet"),
                ),
                Wave(14, ("家族募集", "里親募集", "お迎え", "ベビー"), ("rehoming fee", "looking for forever home")),
                Wave(35, ("にゃんこ", "わんこ"), ("fur baby",)),
            ),
            titles_ja=("{term} 生後2ヶ月", "かわいい {term}", "{term} ワクチン済み", "{term} 手渡し"),
            titles_en=("{term} 8 weeks old", "cute {term}", "{term} vaccinated", "{term} pickup only"),
            descriptions_ja=(
                "{term}です。ワクチン接種済みです。",
                "生後{n}ヶ月です。元気です。",
                "手渡しのみでお願いします。",
            ),
            descriptions_en=("{term}, {n} weeks old, vaccinated.", "Healthy and playful.", "Pickup only."),
            price_factor=(3.0, 20.0),
            decoys=(
                Decoy("猫じゃらし 3本セット", "猫がよく遊びます。", "pet_supplies", "ja"),
                Decoy("ハムスターケージ 本体のみ", "ケージのみです。", "pet_supplies", "ja"),
                Decoy("水槽 60cm 生体なし", "水槽とフィルターのみ。生体はいません。", "pet_supplies", "ja"),
                Decoy("ぬいぐるみ 子猫 ふわふわ", "子猫のぬいぐるみです。", "toys_hobby", "ja"),
                Decoy("子犬柄 マグカップ", "かわいい子犬柄です。", "home", "ja"),
                Decoy("kitten plush toy", "Soft stuffed kitten.", "toys_hobby", "en"),
                Decoy("dog bed large", "Washable cover.", "pet_supplies", "en"),
                Decoy("hamster cage only, no hamster", "Cage and wheel.", "pet_supplies", "en"),
            ),
        ),
        TopicSpec(
            name="tickets_resale",
            severity=0.5,
            prevalence=0.005,
            categories=("tickets",),
            waves=(
                Wave(
                    0, ("定価以上", "プレミア", "良席", "神席", "連番"), ("premium seats", "front row", "sold out show")
                ),
                Wave(15, ("うちわ チケットおまけ", "チケット おまけ付き"), ("poster with free tickets",)),
            ),
            titles_ja=("{artist} ライブ チケット 2枚 {term}", "{artist} {term} チケット", "{artist} 東京ドーム {term}"),
            titles_en=("{artist} concert tickets x2 {term}", "{artist} tickets {term}", "{artist} live {term}"),
            descriptions_ja=(
                "定価{face}円のチケットです。",
                "{term}です。電子チケットを分配します。",
                "同行者の方の本人確認はありません。",
            ),
            descriptions_en=(
                "Face value {face} yen.",
                "{term}, e-tickets transferred.",
                "No ID check for the second ticket.",
            ),
            price_factor=(1.3, 5.0),
            decoys=(
                Decoy(
                    "{artist} チケット 定価でお譲りします",
                    "行けなくなったので定価でお譲りします。",
                    "tickets",
                    "ja",
                    (0.8, 1.1),
                ),
                Decoy("チケットホルダー 推し活", "チケットを入れるホルダーです。", "tickets", "ja", (0.1, 0.3)),
                Decoy("{artist} ライブ Tシャツ", "ライブ会場で購入しました。", "clothing", "ja"),
                Decoy(
                    "{artist} ticket at face value",
                    "Can't go anymore, selling at face value.",
                    "tickets",
                    "en",
                    (0.8, 1.1),
                ),
                Decoy("ticket stub collection", "Old concert stubs.", "collectibles", "en"),
            ),
        ),
        TopicSpec(
            name="overpriced",
            severity=0.3,
            prevalence=0.004,
            categories=("home", "health", "games", "shoes"),
            waves=(
                Wave(0, ("在庫わずか", "入手困難", "品薄"), ("hard to find", "sold out everywhere")),
                Wave(20, ("転売ではありません", "最後の1点"), ("last one",)),
            ),
            titles_ja=("{item} {term}", "【{term}】{item}", "{item} 新品 {term}"),
            titles_en=("{item} {term}", "{term} {item}", "{item} new {term}"),
            descriptions_ja=("{term}のため、この価格です。", "今すぐ必要な方へ。", "新品未開封です。"),
            descriptions_en=("{term}, hence the price.", "For anyone who needs it now.", "Sealed."),
            price_factor=(3.0, 15.0),
            decoys=(),
            keywordless_share=0.4,
        ),
    )
}

OVERPRICED_ITEMS_JA = ("マスク 50枚", "消毒液 5L", "トイレットペーパー 12ロール", "ゲーム機 本体", "限定 スニーカー")
OVERPRICED_ITEMS_EN = (
    "face masks 50 pack",
    "hand sanitizer 5L",
    "toilet paper 12 rolls",
    "game console",
    "limited sneakers",
)
