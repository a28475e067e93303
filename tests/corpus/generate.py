#!/usr/bin/env python3
"""Generates tests/corpus/corpus.txt, the tokenizer test corpus.

The corpus is a sequence of documents, each followed by the separator b"\\x1e\\n" (RS and a
newline); no document contains that separator. Documents are composed deterministically (a fixed
seed, only the standard library) from hand-written sentences in many languages, code snippets and
synthesized edge cases: long digit runs and decimals, whitespace runs, CRLF, contractions in
various cases, emoji with ZWJ sequences and skin tones, special-token strings and partial ones,
decomposed (NFD) text and combining marks, random characters from long-assigned Unicode blocks,
and ill-formed UTF-8 bytes.

Usage: python3 generate.py [OUT]   (default: corpus.txt beside this script)
"""

import random
import sys
import unicodedata
from pathlib import Path

SEED = 20240611
TARGET_BYTES = 1_250_000
SEPARATOR = b"\x1e\n"

ENGLISH = [
    "The quick brown fox jumps over the lazy dog.",
    "I'd like two oat lattes delivered to my office before nine, please.",
    "It's been a long day, and the coffee machine on the third floor is broken again.",
    "DON'T PANIC: the backup finished at 03:14 and every checksum matched.",
    "We'll meet at the station; if you're late, I'll wait by the ticket machines.",
    "She said, \"They've already left,\" but nobody believed her.",
    "Tokenizers split text into pieces, and the pieces become numbers.",
    "The invoice total was $1,234.56, including 8.25% sales tax.",
    "Please don't forget: the meeting moved from Tuesday to Thursday at 2:30 p.m.",
    "You're welcome to borrow my umbrella — it's the green one by the door.",
    "HE'S NOT HERE, BUT HE'LL CALL YOU BACK WHEN HE'S DONE.",
    "Isn't it strange how quiet the city gets after midnight?",
    "The recipe calls for 2 1/2 cups of flour, 3 eggs, and a pinch of salt.",
    "Version 3.10.12 fixed the bug where long filenames were truncated.",
    "They'd rather walk than wait forty minutes for the next bus.",
    "Our Wi-Fi password is on the fridge, next to the takeaway menu.",
    "A journey of a thousand miles begins with a single step.",
    "Call me at +1 (555) 010-4477 or email hello@example.com.",
    "The temperature dropped to -12.5 degrees Celsius overnight.",
    "Who's going to tell the manager that the demo crashed?",
    "Read the README.md before running `make install`, or you'll regret it.",
    "I've seen 'em do it a hundred times, y'all, and it's never boring.",
    "Mr. O'Brien's dog won first prize at the county fair in 1998.",
    "The rocket reached an altitude of 408 km and a speed of 7.66 km/s.",
    "Sorry, we're closed on Sundays and public holidays.",
]

CHINESE = [
    "你好，世界。",
    "帮我点两杯燕麦拿铁，送到我的办公室。",
    "今天北京的天气晴朗，最高气温二十八度。",
    "这家咖啡店的优惠券可以减五元，总共四十一元。",
    "请在九点十分之前送达，谢谢！",
    "机器学习模型需要大量的数据来训练。",
    "我们明天下午三点在会议室开会，请准时参加。",
    "他说：“这个问题很复杂，需要再想一想。”",
    "上海到杭州的高铁大约需要一个小时。",
    "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
    "这本书一共有三百二十页，我已经读了一半。",
    "请确认订单：两杯拿铁，一份三明治，合计六十八元。",
    "开源软件让每个人都可以学习和改进代码。",
    "《红楼梦》是中国古典小说的巅峰之作。",
    "价格从¥199降到了¥149，折扣力度很大。",
    "你能帮我查一下从公司到机场的路线吗？",
    "周末我们去爬山吧，山顶的风景特别美。",
    "系统检测到异常登录，请及时修改密码。",
    "这个函数的时间复杂度是O(n log n)。",
    "人工智能正在改变我们的生活方式。",
]

JAPANESE = [
    "こんにちは、世界。",
    "東京駅から新宿駅までは電車で約十五分です。",
    "明日の会議は午後二時から始まります。",
    "このラーメン屋はいつも行列ができている。",
    "すみません、トイレはどこですか？",
    "カタカナとひらがなと漢字を混ぜて書きます。",
    "コーヒーを二つ、テイクアウトでお願いします。",
    "富士山の頂上から見る日の出は本当に美しい。",
    "この資料を金曜日までに確認していただけますか。",
    "昨日、友達と一緒に映画を見に行きました。",
    "ｶﾀｶﾅの半角文字もたまに使われます。",
    "価格は３，９８０円（税込）です。",
]

KOREAN = [
    "안녕하세요, 세계.",
    "오늘 저녁에 같이 밥 먹을래요?",
    "서울에서 부산까지 KTX로 두 시간 반 정도 걸립니다.",
    "이 카페의 아메리카노는 정말 맛있어요.",
    "회의는 내일 오전 열 시에 시작합니다.",
    "한국어는 한글이라는 고유한 문자를 사용합니다.",
    "주문하신 상품이 오늘 발송되었습니다.",
    "비밀번호를 세 번 이상 틀리면 계정이 잠깁니다.",
    "주말에는 공원에서 자전거를 타요.",
    "가격은 12,900원이고 배송비는 무료입니다.",
]

ARABIC = [
    "مرحبا بالعالم.",
    "أريد كوبين من القهوة مع الحليب من فضلك.",
    "يبدأ الاجتماع في الساعة العاشرة صباحاً.",
    "اللغة العربية تكتب من اليمين إلى اليسار.",
    "السعر الإجمالي هو ١٢٣٫٤٥ ريال.",
    "شكراً جزيلاً على مساعدتك اليوم.",
    "هل يمكنك أن ترسل لي العنوان عبر البريد الإلكتروني؟",
    "الطقس جميل جداً في فصل الربيع.",
    "قرأت هذا الكتاب ثلاث مرات ولم أمل منه.",
    "مَرْحَبًا يَا صَدِيقِي، كَيْفَ حَالُكَ؟",
]

HINDI = [
    "नमस्ते दुनिया।",
    "मुझे दो कप चाय चाहिए, कृपया।",
    "कल सुबह दस बजे बैठक शुरू होगी।",
    "भारत की राजधानी नई दिल्ली है।",
    "यह किताब बहुत दिलचस्प है, आपको ज़रूर पढ़नी चाहिए।",
    "कृपया अपना पासवर्ड किसी के साथ साझा न करें।",
    "बारिश के मौसम में चाय और पकौड़े का मज़ा ही कुछ और है।",
    "कुल कीमत ₹१,२५० है।",
    "हम अगले हफ़्ते गोवा जा रहे हैं।",
    "संगणक विज्ञान एक रोचक विषय है।",
]

RUSSIAN = [
    "Привет, мир!",
    "Я хотел бы заказать два кофе с овсяным молоком.",
    "Встреча перенесена на четверг, в 14:30.",
    "Москва — столица России.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Цена составляет 1 299,99 рублей.",
    "ПОЖАЛУЙСТА, НЕ ЗАБУДЬТЕ ВЫКЛЮЧИТЬ СВЕТ.",
]

EUROPEAN = [
    "¿Dónde está la estación de tren más cercana?",
    "Me gustaría reservar una mesa para cuatro personas a las nueve.",
    "Le café est prêt ; voulez-vous du lait ou du sucre ?",
    "L'été dernier, nous sommes allés à la plage près de Nice.",
    "Ça coûte 12,50 € — c'est très raisonnable.",
    "Die Straße ist wegen Bauarbeiten bis Freitag gesperrt.",
    "Ich hätte gern zwei Brötchen und einen Kaffee, bitte.",
    "Größenänderungen sind übrigens kostenlos möglich.",
    "Não se esqueça de trazer o passaporte amanhã.",
    "Zażółć gęślą jaźń — to zdanie zawiera wszystkie polskie litery.",
    "Türkçe'de ı ve i farklı harflerdir; İstanbul'u çok seviyorum.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Tiếng Việt có rất nhiều dấu thanh: à, á, ả, ã, ạ.",
    "Ελληνικά: Γειά σου Κόσμε, τι κάνεις σήμερα;",
    "שלום עולם, מה שלומך היום?",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "Բարև աշխարհ, ինչպե՞ս ես։",
    "გამარჯობა მსოფლიო!",
    "Kiswahili ni lugha inayozungumzwa Afrika Mashariki.",
    "Hæ, hvernig hefur þú það í dag?",
]

CODE = [
    '''def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    print([fibonacci(i) for i in range(10)])
''',
    '''#include <iostream>
#include <vector>

int main() {
    std::vector<int> v{1, 2, 3};
    for (auto& x : v) x *= 2;
    std::cout << "sum=" << (v[0] + v[1] + v[2]) << '\\n';
    return 0;
}
''',
    '''function debounce(fn, ms = 300) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), ms);
  };
}
const onResize = debounce(() => console.log(`width: ${window.innerWidth}px`));
''',
    '''fn main() {
    let words: Vec<&str> = "hello wide world".split_whitespace().collect();
    let total: usize = words.iter().map(|w| w.len()).sum();
    println!("{} words, {} letters", words.len(), total);
}
''',
    '''package main

import "fmt"

func main() {
\tm := map[string]int{"a": 1, "b": 2}
\tfor k, v := range m {
\t\tfmt.Printf("%s=%d\\n", k, v)
\t}
}
''',
    '''SELECT o.id, o.total_cents / 100.0 AS total, c.name
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.created_at >= '2024-01-01' AND o.status <> 'cancelled'
ORDER BY o.total_cents DESC
LIMIT 20;
''',
    '''<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo &amp; test</title></head>
<body>
  <div class="card" data-id="42">Oat latte &times; 2 &mdash; &yen;46</div>
</body>
</html>
''',
    '''{
  "model": "qwen3",
  "messages": [{"role": "user", "content": "你好"}],
  "temperature": 0.7,
  "max_tokens": 512,
  "stream": true,
  "tools": []
}
''',
    '''#!/usr/bin/env bash
set -euo pipefail
for f in *.log; do
  gzip -9 "$f" && echo "compressed $f" >&2
done
[[ -d build ]] || mkdir -p build && cd build && cmake .. -G Ninja
''',
    '''server:
  host: 127.0.0.1
  port: 8080
  workers: 4
database:
  url: "postgresql://user@localhost/app"
  pool_size: 16   # connections
''',
    '''\\begin{equation}
  E = mc^2, \\quad \\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}
\\end{equation}
''',
    '''| item        | qty | price  |
|-------------|----:|-------:|
| Oat latte   |   2 |  23.00 |
| Croissant   |   1 |  12.50 |
''',
]

EMOJI = [
    "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "👨‍👩‍👧‍👦", "👩‍❤️‍👨", "🧑🏽‍💻", "👩🏿‍🚀",
    "🏳️‍🌈", "🏴‍☠️", "❤️", "✌🏼", "🇨🇳", "🇺🇸", "🇯🇵", "1️⃣", "#️⃣", "😀", "😂", "🥲", "🤔",
    "🎉", "🚀", "☕", "🍵", "🐍", "🦀", "🌧️", "👋🏿", "🤝🏻", "🙏🏾", "👁️‍🗨️", "🐕‍🦺",
]

SPECIAL = [
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "</tool_call>", "<think>",
    "</think>", "<tool_response>", "</tool_response>", "<|fim_prefix|>", "<|fim_middle|>",
    "<|fim_suffix|>", "<|vision_start|>", "<|image_pad|>", "<|object_ref_start|>",
    "<|box_end|>", "<|repo_name|>", "<|file_sep|>",
]

PARTIAL_SPECIAL = [
    "<|im_sta", "<|im_start", "im_start|>", "<|im_end", "<|endoftext", "<think", "think>",
    "</tool_call", "<tool_", "<|", "|>", "<|im_start |>", "<| im_end |>", "<THINK>",
    "<|IM_START|>", "<<|im_start|>>", "<|im_start|><|im_start|>", "<|<|im_end|>|>",
]

CONTRACTIONS = [
    "don't", "DON'T", "Don't", "it's", "IT'S", "It'S", "we've", "WE'VE", "we'Ve", "they're",
    "THEY'RE", "I'm", "I'M", "you'll", "YOU'LL", "he'd", "HE'D", "'s", "'S", "'t", "'re",
    "'ve", "'m", "'ll", "'d", "'LL", "'D", "rock'n'roll", "o'clock", "'tis", "ma'am",
]


def nfd(text):
    return unicodedata.normalize("NFD", text)


# Random characters come from blocks fully assigned long before Unicode 15.0, so that every
# Unicode version involved (utf8proc 15.0, Node's ICU, Python's unicodedata) agrees on them.
SOUP_RANGES = [
    (0x0021, 0x007E), (0x00A1, 0x00FF), (0x0100, 0x017F), (0x0180, 0x024F), (0x0250, 0x02AF),
    (0x0300, 0x036F), (0x0391, 0x03A1), (0x03A3, 0x03C9), (0x0400, 0x04FF), (0x05D0, 0x05EA),
    (0x0621, 0x063A), (0x0641, 0x064A), (0x0660, 0x0669), (0x0905, 0x0939), (0x093E, 0x094D),
    (0x0966, 0x096F), (0x0E01, 0x0E3A), (0x10D0, 0x10FA), (0x1100, 0x1112), (0x1161, 0x1175),
    (0x11A8, 0x11C2), (0x2010, 0x2027), (0x2070, 0x2071), (0x2074, 0x208E), (0x20A0, 0x20B5),
    (0x2150, 0x2182), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x257F),
    (0x2600, 0x26FF), (0x3001, 0x303F), (0x3041, 0x3096), (0x30A1, 0x30FA), (0x3400, 0x4DB5),
    (0x4E00, 0x9FA5), (0xAC00, 0xD7A3), (0xFF01, 0xFF5E), (0x1D400, 0x1D454),
    (0x1D7CE, 0x1D7FF), (0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F680, 0x1F6C5),
    (0x20000, 0x2A6D6),
]

WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2002", "\u2009", "\u202f",
              "\u2028", "\u2029", "\u000b", "\u000c", "\u0085", "\ufeff", "\u200b", "\u180e"]

INVALID = [b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\x80",
           b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
           b"\xe4\xbd", b"\xf0\x9f\x98", b"\xc3", b"\xe2\x82", b"\xf8\x88\x80\x80\x80",
           b"\x80\x80\x80", b"\xc3\x28", b"\xe4\x28\xa0", b"\xf0\x28\x8c\xbc"]


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def choice(self, items):
        return self.rng.choice(items)

    def number(self):
        r = self.rng.random()
        if r < 0.25:
            return str(self.rng.randint(0, 10 ** self.rng.randint(1, 12)))
        if r < 0.45:
            return f"{self.rng.uniform(-1000, 1000):.{self.rng.randint(1, 6)}f}"
        if r < 0.6:
            return "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(15, 80)))
        if r < 0.7:
            return f"{self.rng.uniform(0, 10):.3e}"
        if r < 0.8:
            return f"{self.rng.randint(1, 28):02d}/{self.rng.randint(1, 12):02d}/20{self.rng.randint(0, 39):02d}"
        if r < 0.9:
            return f"{self.rng.randint(1, 9)},{self.rng.randint(0, 999):03d},{self.rng.randint(0, 999):03d}.{self.rng.randint(0, 99):02d}"
        return self.choice(["½", "²", "³", "Ⅻ", "①", "٣", "४", "三", "零", "𝟘𝟙𝟚", "١٢٣٫٤٥"])

    def sentence(self, languages=None):
        banks = languages or [ENGLISH, CHINESE, JAPANESE, KOREAN, ARABIC, HINDI, RUSSIAN, EUROPEAN]
        s = self.choice(self.choice(banks))
        r = self.rng.random()
        if r < 0.15:
            s = s.upper()
        elif r < 0.25:
            s = s + " " + self.number()
        elif r < 0.32:
            s = s + " " + self.choice(EMOJI)
        return s

    def prose(self):
        langs = self.rng.sample(
            [ENGLISH, CHINESE, JAPANESE, KOREAN, ARABIC, HINDI, RUSSIAN, EUROPEAN],
            self.rng.randint(1, 3))
        parts = []
        for _ in range(self.rng.randint(3, 40)):
            parts.append(self.sentence(langs))
            parts.append(self.choice([" ", " ", " ", "", "\n", "\n\n", "  ", "\r\n"]))
        return "".join(parts).rstrip() + self.choice(["", "\n", " "])

    def code(self):
        snippet = self.choice(CODE)
        r = self.rng.random()
        if r < 0.2:
            snippet = snippet.replace("\n", "\r\n")
        elif r < 0.35:
            snippet = snippet.replace("    ", "\t")
        elif r < 0.45:
            snippet = snippet.replace("    ", "        ")
        if self.rng.random() < 0.3:
            snippet = snippet.replace("a", self.choice(["alpha", "ä", "数据", "x1"]), 2)
        return snippet

    def chat(self):
        out = ["<|im_start|>system\n", self.sentence([ENGLISH, CHINESE]), "<|im_end|>\n"]
        for _ in range(self.rng.randint(1, 4)):
            out += ["<|im_start|>user\n", self.sentence(), "<|im_end|>\n", "<|im_start|>assistant\n"]
            if self.rng.random() < 0.5:
                out += ["<think>\n", self.sentence([ENGLISH, CHINESE]), "\n</think>\n\n"]
            if self.rng.random() < 0.5:
                city = self.choice(["Beijing", "上海", "Tokyo", "Paris", "São Paulo"])
                out += ['<tool_call>\n{"name": "get_weather", "arguments": {"city": "', city,
                        '", "days": ', str(self.rng.randint(1, 7)), "}}\n</tool_call>",
                        "<|im_end|>\n<|im_start|>user\n<tool_response>\n",
                        '{"temp_c": ', self.number(), ', "sky": "☀️"}', "\n</tool_response>",
                        "<|im_end|>\n<|im_start|>assistant\n"]
            out += [self.sentence(), "<|im_end|>\n"]
        if self.rng.random() < 0.3:
            out.append("<|endoftext|>")
        return "".join(out)

    def specials(self):
        parts = []
        for _ in range(self.rng.randint(5, 40)):
            r = self.rng.random()
            if r < 0.35:
                parts.append(self.choice(SPECIAL))
            elif r < 0.6:
                parts.append(self.choice(PARTIAL_SPECIAL))
            elif r < 0.8:
                parts.append(self.sentence())
            else:
                parts.append(self.choice(WHITESPACE))
        return "".join(parts)

    def contractions(self):
        words = []
        for _ in range(self.rng.randint(10, 60)):
            r = self.rng.random()
            if r < 0.5:
                words.append(self.choice(CONTRACTIONS))
            elif r < 0.7:
                words.append(self.choice(["'", "''", "'''", "’", "‘s", "`'s`", "\"'s\"", "'ß", "'ſ"]))
            else:
                words.append(self.choice(ENGLISH).split(" ")[0])
        return self.choice([" ", "", "\n", "  "]).join(words)

    def numbers(self):
        parts = []
        for _ in range(self.rng.randint(5, 50)):
            parts.append(self.number())
            parts.append(self.choice([" ", ", ", "\n", "", "+", " = ", "x", "%", "元", "円"]))
        return "".join(parts)

    def whitespace(self):
        parts = []
        for _ in range(self.rng.randint(5, 40)):
            r = self.rng.random()
            if r < 0.3:
                parts.append(" " * self.rng.randint(1, 300))
            elif r < 0.45:
                parts.append("\t" * self.rng.randint(1, 20))
            elif r < 0.6:
                parts.append(self.choice(["\n", "\r\n", "\r"]) * self.rng.randint(1, 30))
            elif r < 0.75:
                parts.append("".join(self.choice(WHITESPACE) for _ in range(self.rng.randint(1, 12))))
            else:
                parts.append(self.choice(["word", "x", "你好", "!!", "123", "é", "-", "'s", "🙂"]))
        return "".join(parts)

    def emoji(self):
        parts = []
        for _ in range(self.rng.randint(5, 60)):
            parts.append(self.choice(EMOJI))
            parts.append(self.choice(["", "", " ", "\u200d", "\ufe0f", "\n", "a", "中"]))
        return "".join(parts)

    def decomposed(self):
        text = nfd(self.prose())
        r = self.rng.random()
        if r < 0.3:
            # Marks in non-canonical order, stacked marks and marks with no base.
            marks = [chr(c) for c in (0x0301, 0x0323, 0x0308, 0x0327, 0x031B, 0x0338, 0x0300)]
            extra = "".join(self.choice("aeiouAEIOnzq ") + "".join(
                self.choice(marks) for _ in range(self.rng.randint(1, 4))) for _ in range(20))
            text += " " + extra
        elif r < 0.5:
            text += " " + "".join(self.choice(["\u1112\u1161\u11ab", "\u1100\u1161", "\u110b\u1175\u11af",
                                               "\u212b", "\u2126", "\u00c5", "A\u030a", "\uac00\u11a8"])
                                  for _ in range(15))
        elif r < 0.6:
            # A combining mark right after special tokens: the reference does not compose it.
            text += "".join(self.choice(SPECIAL) + self.choice(["\u0338", "\u0301", "\u20d2"])
                            for _ in range(4))
        return text

    def soup(self):
        chars = []
        for _ in range(self.rng.randint(20, 400)):
            lo, hi = self.choice(SOUP_RANGES)
            chars.append(chr(self.rng.randint(lo, hi)))
            if self.rng.random() < 0.1:
                chars.append(self.choice(WHITESPACE))
        return "".join(chars)

    def long_words(self):
        r = self.rng.random()
        if r < 0.25:
            return "".join(self.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                           for _ in range(self.rng.randint(65, 2000)))
        if r < 0.5:
            return self.choice(["a", "ab", "=", "-", "_", "你", "ー", ".", "*"]) * self.rng.randint(65, 3000)
        if r < 0.75:
            return "".join(self.choice("0123456789abcdef") for _ in range(self.rng.randint(64, 512)))
        return "".join(self.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                       for _ in range(self.rng.randint(64, 1500))) + "=="

    def invalid(self):
        text = self.prose().encode("utf-8")
        out = bytearray()
        for i in range(0, len(text), 1):
            out.append(text[i])
            if self.rng.random() < 0.02:
                out += self.choice(INVALID)
        if self.rng.random() < 0.3:
            # Cut a multi-byte character at the end of the document.
            out += "中".encode("utf-8")[: self.rng.randint(1, 2)]
        return bytes(out)

    def control(self):
        chars = [chr(c) for c in list(range(0, 0x1E)) + [0x1F, 0x7F] + list(range(0x80, 0xA0))]
        return "".join(self.choice(chars + [" ", "a", "中", "\n"]) for _ in range(self.rng.randint(5, 200)))

    def document(self):
        kinds = [
            (self.prose, 30), (self.code, 10), (self.chat, 10), (self.specials, 8),
            (self.contractions, 5), (self.numbers, 6), (self.whitespace, 6), (self.emoji, 5),
            (self.decomposed, 8), (self.soup, 6), (self.long_words, 3), (self.invalid, 6),
            (self.control, 2),
        ]
        total = sum(w for _, w in kinds)
        r = self.rng.uniform(0, total)
        for make, weight in kinds:
            if r < weight:
                doc = make()
                break
            r -= weight
        else:
            doc = kinds[-1][0]()
        return doc if isinstance(doc, bytes) else doc.encode("utf-8")


# Small documents that pin single cases, ahead of the generated ones.
FIXED = [
    "Hello world! 你好，世界。",
    "<|im_start|>",
    "<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n4<|im_end|>",
    "", " ", "\n", "\r\n", "\t", "  \n", "a", "'", "'s", "1", "é", "e\u0301", "\ufeff",
    "\ufeffBOM at the start", "\u0085NEL", "x\u0085y", "a\u2028b\u2029c",
    "\x00NUL\x00inside",
    "<|im_end|>\u0338 composes? no", "<|endoftext|><|endoftext|>", "<|im_sta",
    "</think>\n\n", "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "12345678901234567890123456789012345678901234567890",
    "3.14159265358979323846264338327950288419716939937510",
    " " * 1000 + "end", "\n" * 500, "\r\n" * 200, "\t" * 100 + "x",
    "DON'T it's WE'VE they'Re I'M you'LL he'D", "'ſ 'K",
    "👨‍👩‍👧‍👦👍🏽🏳️‍🌈🇨🇳1️⃣",
]


def main():
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("corpus.txt")
    gen = Generator(SEED)
    docs = [d.encode("utf-8") for d in FIXED]
    size = sum(len(d) + len(SEPARATOR) for d in docs)
    while size < TARGET_BYTES:
        doc = gen.document()
        if SEPARATOR in doc or b"\x1e" in doc:
            continue
        docs.append(doc)
        size += len(doc) + len(SEPARATOR)
    with open(out_path, "wb") as f:
        for d in docs:
            f.write(d)
            f.write(SEPARATOR)
    print(f"{out_path}: {len(docs)} documents, {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
