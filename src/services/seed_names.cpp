// The seed's bilingual vocabulary (see seed_names.h). English and Chinese are written side by
// side so that each pair says the same thing; Chinese names follow the local patterns (柳浪二路,
// 蜀味川菜馆, 中杯/大杯, 少冰/去冰, 少糖) that users type into search and chat.
#include "services/seed_names.h"

#include <array>

namespace qwl::services::seed_internal {
namespace {

// ---------------------------------------------------------------------------------------------
// The city

constexpr Bi kStreetRoots[] = {
    {"Willow Wave", "柳浪"},  {"Peach Blossom", "桃花"},   {"Osmanthus", "桂花"},
    {"Maple Grove", "枫林"},  {"Bamboo Sea", "竹海"},      {"Lotus", "莲花"},
    {"Plum Garden", "梅园"},  {"Orchid Pavilion", "兰亭"}, {"Pine Ridge", "松岭"},
    {"Cypress", "柏树"},      {"Camellia", "茶花"},        {"Jade Spring", "玉泉"},
    {"Pearl", "明珠"},        {"Golden Sand", "金沙"},     {"Silver Lake", "银湖"},
    {"Spring Light", "春晖"}, {"Autumn Tide", "秋涛"},     {"Phoenix", "凤凰"},
    {"Dragon Well", "龙井"},  {"Crane Song", "鹤鸣"},      {"Cloud Dwelling", "云栖"},
    {"Moonview", "望月"},     {"Sunrise", "东升"},         {"Peace", "和平"},
    {"Prosperity", "兴盛"},   {"Wenhua", "文华"},          {"Academy", "学院"},
    {"Garden", "花园"},       {"Lakeshore", "湖滨"},       {"Riverside", "江滨"},
    {"Hillfront", "山前"},    {"Orchard", "果园"},         {"Tea Garden", "茶园"},
    {"Silk", "丝绸"},         {"Canal", "运河"},           {"Rainbow Bridge", "虹桥"},
    {"Temple Front", "寺前"}, {"City Heart", "市心"},      {"Station Front", "站前"},
    {"Harbor", "港湾"},       {"Liberation", "解放"},      {"People's", "人民"},
    {"Victory", "胜利"},      {"Unity", "团结"},           {"Future", "未来"},
    {"Science", "科技"},      {"Innovation", "创新"},      {"Century", "世纪"},
};

constexpr Bi kDistrictNames[] = {
    {"Lakeside", "湖滨"},   {"Old Town", "老城"},   {"Riverside", "江畔"},
    {"Tech Park", "科创"},  {"North Gate", "北关"}, {"East Harbor", "东港"},
    {"West Hills", "西山"}, {"South Bank", "南岸"}, {"Central", "中心"},
    {"Canal", "运河"},      {"Tea Hills", "茶山"},  {"Bamboo Valley", "竹谷"},
    {"Golden Bay", "金湾"}, {"Plum Ridge", "梅岭"}, {"Spring Field", "春田"},
    {"Maple Bay", "枫湾"},
};

constexpr Bi kPlaceRoots[] = {
    {"Maple", "枫叶"},        {"Harbor", "港湾"},        {"Cloud", "云朵"},
    {"Amber", "琥珀"},        {"Pine Cone", "松果"},     {"Sunny", "晴天"},
    {"Little Fox", "小狐狸"}, {"Blue Whale", "蓝鲸"},    {"Ginkgo", "银杏"},
    {"Morning", "晨光"},      {"Velvet", "丝绒"},        {"Copper Pot", "铜壶"},
    {"Lantern", "灯笼"},      {"Swallow", "燕子"},       {"Paper Crane", "纸鹤"},
    {"Orbit", "轨道"},        {"Cedar", "雪松"},         {"Hummingbird", "蜂鸟"},
    {"Mellow", "醇香"},       {"Corner", "转角"},        {"Ivy", "常春藤"},
    {"Pebble", "鹅卵石"},     {"Tide", "潮汐"},          {"Meadow", "草地"},
    {"Koi", "锦鲤"},          {"Rabbit", "玉兔"},        {"Chestnut", "栗子"},
    {"Mulberry", "桑葚"},     {"Daisy", "雏菊"},         {"Sparrow", "麻雀"},
    {"Green Bamboo", "翠竹"}, {"Lotus Pond", "荷塘"},    {"Silk Road", "丝路"},
    {"Compass", "罗盘"},      {"Harvest", "丰收"},       {"North Star", "北极星"},
    {"Wild Goose", "鸿雁"},   {"Green Plum", "青梅"},    {"Jasmine", "茉莉"},
    {"Snowflake", "雪花"},    {"Red Lantern", "红灯笼"}, {"Old Well", "老井"},
    {"Stone Bridge", "石桥"}, {"Spring Rain", "春雨"},   {"Mountain View", "望山"},
    {"Happy Panda", "熊猫"},  {"Golden Carp", "金鲤"},   {"Riverbank", "河畔"},
};

// Cuisines: the suffix makes the restaurant's name (蜀味 + 川菜馆).
constexpr Cuisine kCuisines[] = {
    {"sichuan",
     {"Sichuan Kitchen", "川菜馆"},
     {"Fiery Sichuan classics with numbing peppercorns and chili oil.",
      "正宗川味，麻辣鲜香，花椒和红油味十足。"},
     5,
     2},
    {"cantonese",
     {"Cantonese Restaurant", "粤菜馆"},
     {"Cantonese roast meats, dim sum and slow-cooked soups.", "粤式烧味、点心和老火靓汤。"},
     3,
     3},
    {"hotpot",
     {"Hotpot", "火锅"},
     {"Bubbling hotpot with spicy and mild broths, open late.", "麻辣与清汤锅底，营业到深夜。"},
     4,
     3},
    {"noodles",
     {"Noodle House", "面馆"},
     {"Hand-made noodles in rich broths, quick and filling.", "手工面条，汤头浓郁，出餐快。"},
     5,
     1},
    {"dumplings",
     {"Dumpling House", "饺子馆"},
     {"Dumplings and buns folded by hand every morning.", "每天清早手工包制的饺子和包子。"},
     3,
     1},
    {"hangzhou",
     {"Hangzhou Kitchen", "杭帮菜馆"},
     {"Lakeside Hangzhou dishes: sweet, fresh and delicate.", "杭帮家常菜，清甜鲜美，做工精细。"},
     3,
     3},
    {"bbq",
     {"BBQ", "烧烤"},
     {"Charcoal skewers and cold beer until the small hours.", "炭火烤串配冰啤酒，营业到凌晨。"},
     3,
     2},
    {"japanese",
     {"Japanese Kitchen", "日料"},
     {"Sushi, ramen and set meals made to order.", "寿司、拉面和现做定食。"},
     2,
     3},
    {"western",
     {"Bistro", "西餐厅"},
     {"Burgers, pasta and salads in a relaxed room.", "汉堡、意面和沙拉，环境轻松。"},
     2,
     3},
    {"vegetarian",
     {"Vegetarian Kitchen", "素食馆"},
     {"Plant-based Chinese cooking with seasonal vegetables.", "时令蔬菜做的中式素食。"},
     1,
     2},
};

constexpr ShopLine kShopLines[] = {
    {"books",
     {"Books", "书店"},
     {"Books in Chinese and English, a reading corner and stationery.",
      "中英文图书、阅读角和文具。"},
     kTopBooks},
    {"electronics",
     {"Digital", "数码"},
     {"Phones, earphones, chargers and repairs while you wait.",
      "手机、耳机、充电器，支持现场维修。"},
     kTopElectronics},
    {"home",
     {"Home Store", "家居"},
     {"Kitchenware, bedding and storage for small apartments.", "厨具、床品和小户型收纳。"},
     kTopHome},
    {"clothing",
     {"Clothing", "服饰"},
     {"Everyday clothing and sneakers in all sizes.", "日常服饰和运动鞋，尺码齐全。"},
     kTopClothing},
    {"beauty",
     {"Beauty", "美妆"},
     {"Skincare, hair care and sunscreen.", "护肤、洗护和防晒用品。"},
     kTopBeauty},
    {"sports",
     {"Sports", "体育用品"},
     {"Fitness gear, balls and outdoor equipment.", "健身器材、球类和户外装备。"},
     kTopSports},
    {"baby",
     {"Baby & Kids", "母婴店"},
     {"Diapers, formula and baby care.", "纸尿裤、奶粉和婴童护理用品。"},
     kTopBaby},
    {"pets",
     {"Pet Shop", "宠物店"},
     {"Food, litter and toys for cats and dogs.", "猫狗粮、猫砂和宠物玩具。"},
     kTopPets},
};

constexpr Bi kCafeSuffixes[] = {{"Coffee", "咖啡"},
                                {"Café", "咖啡馆"},
                                {"Roasters", "咖啡烘焙"},
                                {"Coffee Lab", "咖啡实验室"},
                                {"Espresso Bar", "意式咖啡吧"}};
constexpr Bi kTeaSuffixes[] = {{"Tea", "茶饮"},
                               {"Tea House", "茶馆"},
                               {"Milk Tea", "奶茶"},
                               {"Tea Lab", "茶研所"},
                               {"Fruit Tea", "果茶"}};
constexpr Bi kSupermarketSuffixes[] = {
    {"Fresh Market", "生鲜超市"}, {"Supermarket", "超市"}, {"Mart", "便利店"}};
constexpr Bi kPharmacySuffixes[] = {{"Pharmacy", "大药房"}, {"Drugstore", "药店"}};
constexpr Bi kHotelSuffixes[] = {
    {"Hotel", "酒店"}, {"Inn", "客栈"}, {"Suites", "公寓酒店"}, {"Garden Hotel", "花园酒店"}};
constexpr Bi kCinemaSuffixes[] = {{"Cinema", "影城"}, {"Film Center", "电影中心"}};
constexpr Bi kSightSuffixes[] = {{"Museum", "博物馆"},
                                 {"Pagoda", "塔"},
                                 {"Garden", "园"},
                                 {"Art Gallery", "美术馆"},
                                 {"Old Street", "老街"}};
constexpr Bi kOfficeSuffixes[] = {
    {"Tower", "大厦"}, {"Plaza", "广场"}, {"Center", "中心"}, {"Science Park", "科技园"}};
constexpr Bi kResidenceSuffixes[] = {
    {"Residences", "小区"}, {"Garden Apartments", "花园"}, {"Court", "苑"}, {"Homes", "家园"}};
constexpr Bi kStationSuffixes[] = {{"Metro Station", "地铁站"}, {"Bus Terminal", "公交总站"}};
constexpr Bi kAirportSuffixes[] = {{"International Airport", "国际机场"}};
constexpr Bi kShopSuffixes[] = {{"Store", "商店"}};
constexpr Bi kRestaurantSuffixes[] = {{"Restaurant", "餐厅"}};

constexpr Bi kCafeDescriptions[] = {
    {"Specialty coffee, fresh pastries and quiet tables for working.",
     "精品咖啡和新鲜烘焙，安静的座位适合办公。"},
    {"Beans roasted in house every week; oat milk at no extra charge on Mondays.",
     "每周自家烘焙咖啡豆，周一燕麦奶不加价。"},
    {"A small corner café with a window bar and good espresso.",
     "街角小店，窗边吧台，意式浓缩很棒。"},
    {"Coffee to go for the morning rush, ready in five minutes.", "早高峰外带咖啡，五分钟出杯。"},
};
constexpr Bi kTeaDescriptions[] = {
    {"Freshly brewed milk teas and fruit teas, sweetness and ice to your taste.",
     "现煮奶茶和鲜果茶，甜度冰量随心选。"},
    {"Chewy pearls cooked every two hours; try the brown sugar boba.",
     "珍珠每两小时现煮，推荐黑糖珍珠。"},
    {"Tea brewed from whole leaves, topped with cheese foam.", "原叶现泡，顶上芝士奶盖。"},
};
constexpr Bi kSupermarketDescriptions[] = {
    {"Fresh fruit, vegetables and groceries, delivered in 30 minutes.",
     "新鲜果蔬和日用百货，30分钟送达。"},
    {"Neighbourhood supermarket with daily fresh meat and seafood.",
     "社区超市，每日新鲜肉禽海鲜。"},
};
constexpr Bi kPharmacyDescriptions[] = {
    {"Licensed pharmacists on duty; cold medicine, vitamins and first aid.",
     "执业药师在岗，感冒药、维生素和急救用品。"},
    {"Over-the-counter medicines and health products, delivered fast.",
     "非处方药和保健用品，快速送达。"},
};
constexpr Bi kHotelDescriptions[] = {
    {"Comfortable rooms close to the metro, breakfast included.", "客房舒适，临近地铁，含早餐。"},
    {"Quiet rooms with lake views and a rooftop terrace.", "安静客房，可观湖景，设有屋顶露台。"},
    {"Business hotel with a gym and meeting rooms.", "商务酒店，配有健身房和会议室。"},
};
constexpr Bi kCinemaDescriptions[] = {
    {"Six screens, reclining seats and late-night showings.", "六个影厅，躺椅座位，有午夜场。"},
};
constexpr Bi kSightDescriptions[] = {
    {"A calm place for a walk, with old trees and stone paths.",
     "适合散步的安静去处，古树成荫，石板小路。"},
    {"Exhibitions on the city's history and crafts.", "展示城市历史与传统手工艺。"},
    {"Popular with photographers at sunset.", "日落时分深受摄影爱好者喜爱。"},
};
constexpr Bi kOfficeDescriptions[] = {
    {"Office tower with a lobby café and underground parking.",
     "写字楼，大堂有咖啡店，配地下停车场。"},
    {"Offices of technology companies around a green courtyard.",
     "科技公司聚集的办公园区，中间是绿色庭院。"},
};
constexpr Bi kResidenceDescriptions[] = {
    {"Residential compound with a playground and a small park.",
     "住宅小区，设有儿童乐园和小花园。"},
};
constexpr Bi kStationDescriptions[] = {
    {"Transfer station with exits to the main streets.", "换乘站，出口通往主要街道。"},
};
constexpr Bi kAirportDescriptions[] = {
    {"The city's airport, reached by Airport Avenue and the Airport Greenway for cyclists.",
     "城市机场，可经机场大道驾车前往，也可沿机场绿道骑行抵达。"},
};
constexpr Bi kShopDescriptions[] = {
    {"A neighbourhood store.", "社区小店。"},
};
constexpr Bi kRestaurantDescriptions[] = {
    {"Home-style cooking.", "家常菜。"},
};

// ---------------------------------------------------------------------------------------------
// People

constexpr Bi kFamilyNames[] = {
    {"Li", "李"},   {"Wang", "王"}, {"Zhang", "张"}, {"Liu", "刘"},  {"Chen", "陈"},
    {"Yang", "杨"}, {"Zhao", "赵"}, {"Huang", "黄"}, {"Zhou", "周"}, {"Wu", "吴"},
    {"Xu", "徐"},   {"Sun", "孙"},  {"Hu", "胡"},    {"Zhu", "朱"},  {"Gao", "高"},
    {"Lin", "林"},  {"He", "何"},   {"Guo", "郭"},   {"Ma", "马"},   {"Luo", "罗"},
    {"Song", "宋"}, {"Tang", "唐"}, {"Shen", "沈"},  {"Han", "韩"},
};
constexpr Bi kGivenNames[] = {
    {"Na", "娜"},        {"Wei", "伟"},       {"Fang", "芳"},     {"Min", "敏"},
    {"Jing", "静"},      {"Lei", "磊"},       {"Yang", "洋"},     {"Yan", "艳"},
    {"Jie", "杰"},       {"Tao", "涛"},       {"Ming", "明"},     {"Chao", "超"},
    {"Xiuying", "秀英"}, {"Guiying", "桂英"}, {"Haoran", "浩然"}, {"Zihan", "子涵"},
    {"Yuxuan", "雨轩"},  {"Xinyi", "欣怡"},   {"Yichen", "奕辰"}, {"Ruoxi", "若汐"},
    {"Junjie", "俊杰"},  {"Shuang", "爽"},    {"Ting", "婷"},     {"Hao", "浩"},
    {"Kai", "凯"},       {"Lan", "岚"},       {"Qing", "晴"},     {"Bo", "博"},
};

// ---------------------------------------------------------------------------------------------
// Reviews

constexpr Bi kReviewGood[] = {
    {"Great place, friendly staff and fast service.", "很不错，店员热情，上得很快。"},
    {"Will come back again, everything was fresh.", "还会再来，东西都很新鲜。"},
    {"Clean, quiet and good value for money.", "干净安静，性价比高。"},
    {"Exactly what I hoped for. Five stars.", "和期待的一模一样，五星好评。"},
};
constexpr Bi kReviewMixed[] = {
    {"Decent, but a bit crowded at lunchtime.", "还可以，就是午饭时间人有点多。"},
    {"Good quality, slightly expensive.", "质量不错，价格略贵。"},
    {"Service was slow today, food was fine.", "今天上得慢了点，味道还行。"},
};
constexpr Bi kReviewBad[] = {
    {"Waited forty minutes and the order was wrong.", "等了四十分钟，还送错了。"},
    {"Not as good as it used to be.", "没有以前好了。"},
    {"Too noisy and the tables were dirty.", "太吵了，桌子也不干净。"},
};
constexpr Bi kReviewCafeGood[] = {
    {"The oat latte is smooth and not too sweet.", "燕麦拿铁很顺滑，不会太甜。"},
    {"Good espresso, nice place to work for an hour.", "意式浓缩很好，适合坐下来办公一小时。"},
};
constexpr Bi kReviewTeaGood[] = {
    {"Pearl milk tea with less ice is perfect, pearls are chewy.",
     "珍珠奶茶少冰刚刚好，珍珠很Q弹。"},
    {"Half sugar is just right for me.", "半糖对我来说正好。"},
};
constexpr Bi kReviewRestaurantGood[] = {
    {"The mapo tofu is properly numbing and spicy.", "麻婆豆腐够麻够辣，很正宗。"},
    {"Generous portions, we booked a table for four and it was ready on time.",
     "分量很足，订了四人桌，到店就有位。"},
};
constexpr Bi kReviewHotelGood[] = {
    {"Quiet room, soft bed, breakfast was good.", "房间安静，床很舒服，早餐不错。"},
};

// ---------------------------------------------------------------------------------------------
// Menus: option groups

constexpr OptionT kSizeOptions[] = {{{"Medium", "中杯"}, 0, true}, {{"Large", "大杯"}, 300, false}};
constexpr OptionT kBowlOptions[] = {{{"Regular", "标准份"}, 0, true},
                                    {{"Large", "大份"}, 400, false}};
constexpr OptionT kCoffeeSugarOptions[] = {{{"No added sugar", "不另外加糖"}, 0, true},
                                           {{"Less sugar", "少糖"}, 0, false},
                                           {{"Regular sugar", "标准糖"}, 0, false}};
constexpr OptionT kTeaSugarOptions[] = {{{"Regular sugar", "标准糖"}, 0, true},
                                        {{"Less sugar", "少糖"}, 0, false},
                                        {{"Half sugar", "半糖"}, 0, false},
                                        {{"Light sugar", "微糖"}, 0, false},
                                        {{"No sugar", "不加糖"}, 0, false}};
constexpr OptionT kCoffeeIceOptions[] = {{{"Regular ice", "正常冰"}, 0, true},
                                         {{"Less ice", "少冰"}, 0, false},
                                         {{"No ice", "去冰"}, 0, false},
                                         {{"Hot", "热"}, 0, false}};
constexpr OptionT kTeaIceOptions[] = {{{"Regular ice", "正常冰"}, 0, true},
                                      {{"Less ice", "少冰"}, 0, false},
                                      {{"No ice", "去冰"}, 0, false},
                                      {{"Warm", "温"}, 0, false},
                                      {{"Hot", "热"}, 0, false}};
constexpr OptionT kTemperatureOptions[] = {{{"Hot", "热"}, 0, true}, {{"Iced", "冰"}, 0, false}};
constexpr OptionT kMilkOptions[] = {{{"Whole milk", "全脂牛奶"}, 0, true},
                                    {{"Skim milk", "脱脂牛奶"}, 0, false},
                                    {{"Oat milk", "燕麦奶"}, 300, false},
                                    {{"Soy milk", "豆奶"}, 200, false}};
constexpr OptionT kCoffeeExtraOptions[] = {{{"Extra shot", "加一份浓缩"}, 400, false},
                                           {{"Vanilla syrup", "香草糖浆"}, 300, false},
                                           {{"Caramel syrup", "焦糖糖浆"}, 300, false}};
constexpr OptionT kTeaToppingOptions[] = {
    {{"Pearls", "珍珠"}, 100, false},   {{"Coconut jelly", "椰果"}, 100, false},
    {{"Pudding", "布丁"}, 200, false},  {{"Grass jelly", "仙草"}, 100, false},
    {{"Red bean", "红豆"}, 150, false}, {{"Cheese foam", "芝士奶盖"}, 300, false}};
constexpr OptionT kSpiceOptions[] = {{{"Not spicy", "不辣"}, 0, false},
                                     {{"Mild", "微辣"}, 0, true},
                                     {{"Medium", "中辣"}, 0, false},
                                     {{"Extra hot", "特辣"}, 0, false}};
constexpr OptionT kNoodleExtraOptions[] = {{{"Fried egg", "加煎蛋"}, 200, false},
                                           {{"Extra beef", "加牛肉"}, 600, false},
                                           {{"Extra noodles", "加面"}, 200, false},
                                           {{"Bok choy", "加青菜"}, 100, false}};
constexpr OptionT kPortionOptions[] = {{{"Small", "小份"}, -500, false},
                                       {{"Regular", "中份"}, 0, true},
                                       {{"Large", "大份"}, 800, false}};

constexpr GroupT kGroups[] = {
    {kGSize, "size", {"Size", "杯型"}, 1, 1, kSizeOptions},
    {kGBowl, "size", {"Size", "份量"}, 1, 1, kBowlOptions},
    {kGPortion, "size", {"Portion", "份量"}, 1, 1, kPortionOptions},
    {kGTemperature, "temperature", {"Temperature", "温度"}, 1, 1, kTemperatureOptions},
    {kGCoffeeIce, "ice", {"Ice", "冰量"}, 1, 1, kCoffeeIceOptions},
    {kGTeaIce, "ice", {"Ice", "冰量"}, 1, 1, kTeaIceOptions},
    {kGCoffeeSugar, "sugar", {"Sugar", "甜度"}, 1, 1, kCoffeeSugarOptions},
    {kGTeaSugar, "sugar", {"Sugar", "甜度"}, 1, 1, kTeaSugarOptions},
    {kGMilk, "milk", {"Milk", "奶类"}, 1, 1, kMilkOptions},
    {kGSpice, "spice", {"Spice level", "辣度"}, 1, 1, kSpiceOptions},
    {kGCoffeeExtra, "extra", {"Extras", "加料"}, 0, 2, kCoffeeExtraOptions},
    {kGTeaToppings, "extra", {"Toppings", "加料"}, 0, 3, kTeaToppingOptions},
    {kGNoodleExtra, "extra", {"Add-ons", "加料"}, 0, 3, kNoodleExtraOptions},
};

// ---------------------------------------------------------------------------------------------
// Menus: items

constexpr Bi kCoffee = {"Coffee", "咖啡"};
constexpr Bi kNonCoffee = {"Non-coffee", "非咖啡"};
constexpr Bi kBakery = {"Bakery", "烘焙"};
constexpr uint32_t kLatteGroups = kGSize | kGCoffeeIce | kGCoffeeSugar | kGMilk | kGCoffeeExtra;
constexpr uint32_t kOatGroups = kGSize | kGCoffeeIce | kGCoffeeSugar | kGCoffeeExtra;

constexpr ItemT kCafeMenu[] = {
    {kCoffee,
     {"Oat Latte", "燕麦拿铁"},
     {"Espresso with steamed oat milk, smooth and nutty.", "浓缩咖啡搭配燕麦奶，顺滑带坚果香。"},
     2300,
     kOatGroups,
     true,
     false},
    {kCoffee,
     {"Americano", "美式咖啡"},
     {"Espresso topped with water, clean and bright.", "浓缩咖啡加水，干净清爽。"},
     1600,
     kGSize | kGTemperature | kGCoffeeSugar | kGCoffeeExtra,
     true,
     false},
    {kCoffee,
     {"Latte", "拿铁"},
     {"Espresso with silky steamed milk.", "浓缩咖啡与丝滑热牛奶。"},
     2000,
     kLatteGroups,
     true,
     false},
    {kCoffee,
     {"Cappuccino", "卡布奇诺"},
     {"Equal parts espresso, milk and foam.", "浓缩、牛奶与奶泡各占三分之一。"},
     2000,
     kGSize | kGCoffeeSugar | kGMilk,
     false,
     false},
    {kCoffee,
     {"Flat White", "澳白"},
     {"A double ristretto with thin velvety milk.", "双份精萃配薄层丝绒奶。"},
     2400,
     kGSize | kGMilk,
     false,
     false},
    {kCoffee,
     {"Mocha", "摩卡"},
     {"Espresso, chocolate and steamed milk.", "浓缩咖啡、巧克力和热牛奶。"},
     2500,
     kLatteGroups,
     false,
     false},
    {kCoffee,
     {"Caramel Macchiato", "焦糖玛奇朵"},
     {"Vanilla milk marked with espresso and caramel.", "香草牛奶、浓缩与焦糖。"},
     2700,
     kLatteGroups,
     false,
     false},
    {kCoffee,
     {"Cold Brew", "冷萃咖啡"},
     {"Steeped for eighteen hours, served over ice.", "冷泡十八小时，加冰饮用。"},
     2200,
     kGSize | kGCoffeeIce | kGCoffeeSugar,
     false,
     false},
    {kCoffee,
     {"Coconut Latte", "生椰拿铁"},
     {"Espresso with fresh coconut milk.", "浓缩咖啡与鲜榨椰奶。"},
     2400,
     kOatGroups,
     false,
     false},
    {kNonCoffee,
     {"Matcha Latte", "抹茶拿铁"},
     {"Stone-ground matcha with milk.", "石磨抹茶搭配牛奶。"},
     2400,
     kGSize | kGCoffeeIce | kGCoffeeSugar | kGMilk,
     false,
     false},
    {kNonCoffee,
     {"Hot Chocolate", "热巧克力"},
     {"Dark chocolate melted into milk.", "黑巧克力融入牛奶。"},
     2000,
     kGSize | kGMilk,
     false,
     false},
    {kBakery,
     {"Butter Croissant", "黄油可颂"},
     {"Flaky, baked every morning.", "酥脆多层，每日清晨现烤。"},
     1500,
     0,
     false,
     true},
    {kBakery,
     {"Basque Cheesecake", "巴斯克芝士蛋糕"},
     {"Burnt top, creamy centre.", "表面焦香，内里绵密。"},
     2800,
     0,
     false,
     true},
    {kBakery,
     {"Ham and Cheese Sandwich", "火腿芝士三明治"},
     {"Toasted to order.", "现点现烤。"},
     2600,
     0,
     false,
     true},
};

constexpr Bi kMilkTea = {"Milk Tea", "奶茶"};
constexpr Bi kFruitTea = {"Fruit Tea", "果茶"};
constexpr Bi kPureTea = {"Pure Tea", "纯茶"};
constexpr uint32_t kTeaGroups = kGSize | kGTeaSugar | kGTeaIce | kGTeaToppings;

constexpr ItemT kTeaMenu[] = {
    {kMilkTea,
     {"Pearl Milk Tea", "珍珠奶茶"},
     {"Black tea with milk and chewy tapioca pearls.", "红茶加牛奶和Q弹珍珠。"},
     1500,
     kTeaGroups,
     true,
     false},
    {kMilkTea,
     {"Brown Sugar Boba Milk", "黑糖珍珠鲜奶"},
     {"Fresh milk with pearls cooked in brown sugar.", "鲜奶配黑糖熬煮的珍珠。"},
     1800,
     kGSize | kGTeaIce | kGTeaToppings,
     false,
     false},
    {kMilkTea,
     {"Taro Milk Tea", "芋泥奶茶"},
     {"Mashed taro with milk tea.", "绵密芋泥配奶茶。"},
     1700,
     kTeaGroups,
     false,
     false},
    {kMilkTea,
     {"Oolong Milk Tea", "乌龙奶茶"},
     {"Roasted oolong with milk.", "炭焙乌龙与牛奶。"},
     1600,
     kTeaGroups,
     false,
     false},
    {kMilkTea,
     {"Coconut Milk Tea", "椰椰奶茶"},
     {"Milk tea with coconut milk and coconut jelly.", "椰奶奶茶配椰果。"},
     1600,
     kTeaGroups,
     false,
     false},
    {kFruitTea,
     {"Mango Pomelo Sago", "杨枝甘露"},
     {"Mango, pomelo and sago in coconut milk.", "芒果、西柚和西米配椰奶。"},
     1900,
     kGSize | kGTeaSugar | kGTeaIce,
     false,
     false},
    {kFruitTea,
     {"Grape Cheese Tea", "芝士葡萄"},
     {"Crushed grapes, jasmine tea and cheese foam.", "现捣葡萄、茉莉绿茶和芝士奶盖。"},
     2100,
     kTeaGroups,
     false,
     false},
    {kFruitTea,
     {"Lemon Black Tea", "柠檬红茶"},
     {"Hand-pressed lemon with black tea.", "手打柠檬配红茶。"},
     1300,
     kGSize | kGTeaSugar | kGTeaIce,
     false,
     false},
    {kFruitTea,
     {"Strawberry Fruit Tea", "草莓果茶"},
     {"Fresh strawberries with green tea.", "新鲜草莓配绿茶。"},
     1900,
     kTeaGroups,
     false,
     false},
    {kPureTea,
     {"Jasmine Green Tea", "茉莉绿茶"},
     {"Fragrant jasmine green tea.", "清香茉莉绿茶。"},
     1000,
     kGSize | kGTeaSugar | kGTeaIce,
     false,
     false},
};

constexpr Bi kSignature = {"Signature Dishes", "招牌菜"};
constexpr Bi kHotDishes = {"Hot Dishes", "热菜"};
constexpr Bi kColdDishes = {"Cold Dishes", "凉菜"};
constexpr Bi kStaples = {"Staples", "主食"};
constexpr Bi kSoups = {"Soups", "汤品"};
constexpr Bi kDrinks = {"Drinks", "饮品"};
constexpr uint32_t kSpicy = kGSpice | kGPortion;

constexpr ItemT kRice = {kStaples,
                         {"Steamed Rice", "米饭"},
                         {"A bowl of jasmine rice.", "一碗香米饭。"},
                         300,
                         kGBowl,
                         true,
                         false};
constexpr ItemT kPlumJuice = {kDrinks,
                              {"Sour Plum Drink", "酸梅汤"},
                              {"Chilled smoked plum drink.", "冰镇乌梅汤。"},
                              800,
                              0,
                              false,
                              false};

constexpr ItemT kSichuanMenu[] = {
    {kSignature,
     {"Mapo Tofu", "麻婆豆腐"},
     {"Silken tofu in a numbing, spicy minced beef sauce.", "嫩豆腐配麻辣牛肉末酱汁。"},
     2800,
     kSpicy,
     true,
     false},
    {kSignature,
     {"Kung Pao Chicken", "宫保鸡丁"},
     {"Diced chicken with peanuts and dried chilies.", "鸡丁配花生和干辣椒。"},
     3800,
     kSpicy,
     true,
     false},
    {kSignature,
     {"Boiled Fish in Chili Oil", "水煮鱼"},
     {"Tender fish slices under sizzling chili oil.", "嫩滑鱼片浇热红油。"},
     6800,
     kSpicy,
     false,
     false},
    {kHotDishes,
     {"Twice-Cooked Pork", "回锅肉"},
     {"Pork belly stir-fried with leeks and bean paste.", "五花肉配蒜苗和豆瓣酱回锅。"},
     4200,
     kSpicy,
     false,
     false},
    {kHotDishes,
     {"Yu-Shiang Shredded Pork", "鱼香肉丝"},
     {"Sweet, sour and spicy pork strips.", "酸甜微辣的肉丝。"},
     3200,
     kSpicy,
     false,
     false},
    {kHotDishes,
     {"Dry-Fried Green Beans", "干煸四季豆"},
     {"Blistered green beans with minced pork.", "干煸四季豆配肉末。"},
     2600,
     kSpicy,
     false,
     false},
    {kColdDishes,
     {"Sliced Beef in Chili Sauce", "夫妻肺片"},
     {"Cold beef and tripe in chili oil.", "牛肉牛杂拌红油。"},
     3600,
     kGSpice,
     false,
     false},
    {kHotDishes,
     {"Hot and Sour Potato Shreds", "酸辣土豆丝"},
     {"Crisp potato shreds with vinegar and chili.", "脆爽土豆丝，酸辣开胃。"},
     1800,
     kSpicy,
     false,
     false},
    {kStaples,
     {"Dan Dan Noodles", "担担面"},
     {"Noodles with spicy sesame sauce and pork.", "芝麻辣酱配肉臊的面条。"},
     1800,
     kGSpice | kGBowl,
     false,
     false},
    kRice,
    kPlumJuice,
};
constexpr ItemT kCantoneseMenu[] = {
    {kSignature,
     {"Roast Goose", "烧鹅"},
     {"Crisp-skinned roast goose with plum sauce.", "皮脆肉嫩的烧鹅，配酸梅酱。"},
     6800,
     kGPortion,
     true,
     false},
    {kSignature,
     {"Char Siu", "蜜汁叉烧"},
     {"Honey-glazed barbecued pork.", "蜜汁烤叉烧。"},
     4800,
     kGPortion,
     true,
     false},
    {kHotDishes,
     {"White Cut Chicken", "白切鸡"},
     {"Poached chicken with ginger and scallion.", "白切鸡配姜葱蓉。"},
     5800,
     kGPortion,
     false,
     false},
    {kHotDishes,
     {"Shrimp Dumplings", "虾饺"},
     {"Translucent har gow with whole shrimp.", "晶莹虾饺，整只鲜虾。"},
     2600,
     0,
     false,
     false},
    {kHotDishes,
     {"Siu Mai", "烧卖"},
     {"Pork and shrimp open dumplings.", "猪肉鲜虾烧卖。"},
     2200,
     0,
     false,
     false},
    {kHotDishes,
     {"Rice Noodle Rolls", "肠粉"},
     {"Silky rice rolls with soy sauce.", "滑嫩肠粉淋豉油。"},
     1800,
     0,
     false,
     false},
    {kStaples,
     {"Beef Chow Fun", "干炒牛河"},
     {"Wok-fried flat noodles with beef.", "镬气十足的干炒牛河。"},
     3200,
     kGBowl,
     false,
     false},
    {kSoups,
     {"Sampan Congee", "艇仔粥"},
     {"Rice porridge with fish, peanuts and squid.", "鱼片花生鱿鱼粥。"},
     1800,
     kGBowl,
     false,
     false},
    {kStaples,
     {"Pineapple Bun", "菠萝包"},
     {"Sweet crackly-top bun.", "酥皮香甜菠萝包。"},
     1000,
     0,
     false,
     true},
    kRice,
};
constexpr ItemT kHotpotMenu[] = {
    {kSignature,
     {"Spicy Beef Tallow Broth", "麻辣牛油锅底"},
     {"Numbing and spicy broth base.", "麻辣牛油锅底。"},
     4800,
     kGSpice,
     true,
     false},
    {kSignature,
     {"Tomato Broth", "番茄锅底"},
     {"Mild tomato broth base.", "酸甜番茄锅底。"},
     3800,
     0,
     true,
     false},
    {kHotDishes,
     {"Sliced Beef", "精品肥牛"},
     {"Marbled beef sliced thin.", "雪花肥牛薄切。"},
     4200,
     kGPortion,
     false,
     false},
    {kHotDishes,
     {"Beef Tripe", "鲜毛肚"},
     {"Crunchy tripe, seven ups and downs.", "七上八下的鲜毛肚。"},
     3800,
     kGPortion,
     false,
     false},
    {kHotDishes,
     {"Shrimp Paste", "手打虾滑"},
     {"Hand-beaten shrimp paste.", "手打虾滑。"},
     3600,
     kGPortion,
     false,
     false},
    {kHotDishes,
     {"Duck Blood", "鸭血"},
     {"Silky duck blood cubes.", "嫩滑鸭血。"},
     1800,
     0,
     false,
     false},
    {kHotDishes,
     {"Enoki Mushrooms", "金针菇"},
     {"Fresh enoki.", "新鲜金针菇。"},
     1200,
     0,
     false,
     false},
    {kStaples,
     {"Wide Glass Noodles", "宽粉"},
     {"Chewy sweet potato noodles.", "劲道红薯宽粉。"},
     1000,
     0,
     false,
     false},
    kPlumJuice,
};
constexpr ItemT kNoodleMenu[] = {
    {kSignature,
     {"Beef Noodle Soup", "红烧牛肉面"},
     {"Braised beef shank in a rich broth.", "红烧牛腱配浓郁汤底。"},
     2600,
     kGBowl | kGSpice | kGNoodleExtra,
     true,
     false},
    {kSignature,
     {"Pian'er Chuan Noodles", "片儿川"},
     {"Hangzhou noodles with pork, bamboo shoots and pickled greens.",
      "杭州片儿川，肉片、笋片和雪菜。"},
     2200,
     kGBowl | kGNoodleExtra,
     true,
     false},
    {kStaples,
     {"Scallion Oil Noodles", "葱油拌面"},
     {"Noodles tossed in fragrant scallion oil.", "葱油香浓的拌面。"},
     1600,
     kGBowl | kGNoodleExtra,
     false,
     false},
    {kStaples,
     {"Zhajiang Noodles", "炸酱面"},
     {"Noodles with fried soybean paste.", "炸酱拌面。"},
     1900,
     kGBowl | kGNoodleExtra,
     false,
     false},
    {kStaples,
     {"Hot and Sour Glass Noodles", "酸辣粉"},
     {"Sweet potato noodles in a hot and sour soup.", "酸辣红薯粉。"},
     1600,
     kGSpice | kGNoodleExtra,
     false,
     false},
    {kStaples,
     {"Xiaolongbao", "小笼包"},
     {"Soup dumplings, eight per basket.", "灌汤小笼包，一笼八只。"},
     1800,
     0,
     false,
     false},
    {kColdDishes,
     {"Smashed Cucumber", "拍黄瓜"},
     {"Garlicky cucumber salad.", "蒜香拍黄瓜。"},
     1000,
     0,
     false,
     false},
};
constexpr ItemT kDumplingMenu[] = {
    {kSignature,
     {"Pork and Cabbage Dumplings", "猪肉白菜水饺"},
     {"Twelve boiled dumplings.", "水饺十二只。"},
     2000,
     kGPortion,
     true,
     false},
    {kSignature,
     {"Shrimp and Chive Dumplings", "虾仁韭菜水饺"},
     {"Twelve boiled dumplings.", "水饺十二只。"},
     2600,
     kGPortion,
     false,
     false},
    {kHotDishes,
     {"Pan-Fried Buns", "生煎包"},
     {"Crisp-bottomed pork buns.", "底部金黄的生煎包。"},
     1600,
     0,
     false,
     false},
    {kHotDishes,
     {"Wontons in Soup", "鲜肉馄饨"},
     {"Pork wontons in clear broth.", "清汤鲜肉馄饨。"},
     1500,
     kGBowl,
     false,
     false},
    {kColdDishes,
     {"Smashed Cucumber", "拍黄瓜"},
     {"Garlicky cucumber salad.", "蒜香拍黄瓜。"},
     1000,
     0,
     false,
     false},
};
constexpr ItemT kHangzhouMenu[] = {
    {kSignature,
     {"West Lake Fish in Vinegar Gravy", "西湖醋鱼"},
     {"Poached grass carp in sweet vinegar sauce.", "草鱼淋糖醋汁。"},
     6800,
     0,
     true,
     false},
    {kSignature,
     {"Dongpo Pork", "东坡肉"},
     {"Pork belly braised for hours in yellow wine.", "黄酒慢炖的五花肉。"},
     4800,
     0,
     true,
     false},
    {kHotDishes,
     {"Longjing Shrimp", "龙井虾仁"},
     {"River shrimp with Longjing tea leaves.", "河虾仁配龙井茶叶。"},
     7800,
     0,
     false,
     false},
    {kHotDishes,
     {"Beggar's Chicken", "叫花鸡"},
     {"Whole chicken baked in lotus leaves.", "荷叶包裹烤制的整鸡。"},
     8800,
     0,
     false,
     false},
    {kHotDishes,
     {"Braised Spring Bamboo Shoots", "油焖春笋"},
     {"Tender shoots in soy and sugar.", "嫩笋油焖。"},
     2800,
     0,
     false,
     false},
    {kSoups,
     {"West Lake Beef Soup", "西湖牛肉羹"},
     {"Thick soup with minced beef and egg.", "牛肉末蛋花羹。"},
     2600,
     0,
     false,
     false},
    kRice,
};
constexpr ItemT kBbqMenu[] = {
    {kSignature,
     {"Lamb Skewers", "羊肉串"},
     {"Cumin lamb skewers, five per order.", "孜然羊肉串，一份五串。"},
     2500,
     kGSpice,
     true,
     false},
    {kHotDishes,
     {"Grilled Chicken Wings", "烤鸡翅"},
     {"Two wings with chili and cumin.", "烤鸡翅两只。"},
     1600,
     kGSpice,
     false,
     false},
    {kHotDishes,
     {"Grilled Eggplant", "蒜蓉烤茄子"},
     {"Whole eggplant with garlic.", "整只茄子配蒜蓉。"},
     1800,
     kGSpice,
     false,
     false},
    {kHotDishes,
     {"Grilled Chives", "烤韭菜"},
     {"Chive skewers.", "烤韭菜串。"},
     1000,
     kGSpice,
     false,
     false},
    {kStaples,
     {"Grilled Bun Slices", "烤馒头片"},
     {"Toasted mantou with honey.", "蜂蜜烤馒头片。"},
     800,
     0,
     false,
     false},
    kPlumJuice,
};
constexpr ItemT kJapaneseMenu[] = {
    {kSignature,
     {"Salmon Sushi", "三文鱼寿司"},
     {"Six pieces of salmon nigiri.", "三文鱼握寿司六贯。"},
     4800,
     0,
     true,
     false},
    {kStaples,
     {"Tonkotsu Ramen", "豚骨拉面"},
     {"Pork bone broth, chashu and egg.", "豚骨汤底配叉烧和溏心蛋。"},
     3800,
     kGBowl,
     false,
     false},
    {kHotDishes,
     {"Tonkatsu Set", "炸猪排定食"},
     {"Crisp pork cutlet with rice and miso soup.", "炸猪排配米饭和味噌汤。"},
     4200,
     0,
     false,
     false},
    {kSoups,
     {"Miso Soup", "味噌汤"},
     {"Tofu and seaweed miso soup.", "豆腐海带味噌汤。"},
     800,
     0,
     false,
     false},
    {kHotDishes,
     {"Chicken Karaage", "日式炸鸡"},
     {"Juicy fried chicken bites.", "多汁日式炸鸡块。"},
     2600,
     0,
     false,
     false},
};
constexpr ItemT kWesternMenu[] = {
    {kSignature,
     {"Classic Beef Burger", "经典牛肉汉堡"},
     {"Beef patty, cheddar and pickles.", "牛肉饼、切达芝士和酸黄瓜。"},
     4800,
     0,
     true,
     false},
    {kStaples,
     {"Margherita Pizza", "玛格丽特披萨"},
     {"Tomato, mozzarella and basil.", "番茄、马苏里拉和罗勒。"},
     5800,
     kGPortion,
     false,
     false},
    {kStaples,
     {"Spaghetti Bolognese", "肉酱意面"},
     {"Slow-cooked beef ragù.", "慢炖牛肉酱意面。"},
     4200,
     0,
     false,
     false},
    {kColdDishes,
     {"Caesar Salad", "凯撒沙拉"},
     {"Romaine, parmesan and croutons.", "罗马生菜、帕玛森和面包丁。"},
     3600,
     0,
     false,
     false},
    {kHotDishes,
     {"French Fries", "薯条"},
     {"Crisp fries with ketchup.", "酥脆薯条配番茄酱。"},
     1800,
     0,
     false,
     false},
};
constexpr ItemT kVegetarianMenu[] = {
    {kSignature,
     {"Braised Tofu with Mushrooms", "香菇烧豆腐"},
     {"Tofu and shiitake in brown sauce.", "香菇红烧豆腐。"},
     2800,
     0,
     true,
     false},
    {kHotDishes,
     {"Stir-Fried Seasonal Greens", "清炒时蔬"},
     {"Whatever the market had this morning.", "当日时令蔬菜清炒。"},
     2200,
     0,
     false,
     false},
    {kHotDishes,
     {"Vegetarian Mapo Tofu", "素麻婆豆腐"},
     {"Mapo tofu with mushroom mince.", "菌菇末做的麻婆豆腐。"},
     2600,
     kSpicy,
     false,
     false},
    {kSoups,
     {"Lotus Root Soup", "莲藕汤"},
     {"Clear lotus root and peanut soup.", "莲藕花生清汤。"},
     2000,
     0,
     false,
     false},
    kRice,
};

// ---------------------------------------------------------------------------------------------
// The catalog

constexpr VariantT kNoneVariants[] = {{{"Standard", "标准"}, 100}};
constexpr VariantT kClothingVariants[] = {
    {{"S", "S码"}, 100}, {{"M", "M码"}, 100}, {{"L", "L码"}, 100}, {{"XL", "XL码"}, 100}};
constexpr VariantT kShoeVariants[] = {{{"EU 38", "38码"}, 100}, {{"EU 39", "39码"}, 100},
                                      {{"EU 40", "40码"}, 100}, {{"EU 41", "41码"}, 100},
                                      {{"EU 42", "42码"}, 100}, {{"EU 43", "43码"}, 100}};
constexpr VariantT kCapacityVariants[] = {
    {{"128 GB", "128GB"}, 100}, {{"256 GB", "256GB"}, 118}, {{"512 GB", "512GB"}, 140}};
constexpr VariantT kWeightVariants[] = {
    {{"250 g", "250克"}, 100}, {{"500 g", "500克"}, 180}, {{"1 kg", "1千克"}, 320}};
constexpr VariantT kPackVariants[] = {
    {{"Single", "单件装"}, 100}, {{"Pack of 6", "6件装"}, 560}, {{"Pack of 24", "24件装"}, 2100}};
constexpr VariantT kTabletVariants[] = {{{"12 tablets", "12片装"}, 100},
                                        {{"24 tablets", "24片装"}, 180},
                                        {{"48 tablets", "48片装"}, 330}};
constexpr VariantT kVolumeVariants[] = {
    {{"250 ml", "250毫升"}, 100}, {{"500 ml", "500毫升"}, 170}, {{"1 L", "1升"}, 300}};
constexpr VariantT kColourVariants[] = {{{"Black", "黑色"}, 100}, {{"White", "白色"}, 100},
                                        {{"Blue", "蓝色"}, 100},  {{"Red", "红色"}, 100},
                                        {{"Grey", "灰色"}, 100},  {{"Green", "绿色"}, 100}};
constexpr VariantT kBedVariants[] = {{{"1.5 m bed", "1.5米床"}, 100},
                                     {{"1.8 m bed", "1.8米床"}, 120},
                                     {{"2.0 m bed", "2.0米床"}, 135}};
constexpr VariantT kFormatVariants[] = {
    {{"Paperback", "平装"}, 100}, {{"Hardcover", "精装"}, 160}, {{"E-book", "电子书"}, 50}};
constexpr VariantT kBatteryVariants[] = {{{"10,000 mAh", "10000毫安"}, 100},
                                         {{"20,000 mAh", "20000毫安"}, 145}};
constexpr VariantT kDiaperVariants[] = {{{"Size S", "S码"}, 100},
                                        {{"Size M", "M码"}, 100},
                                        {{"Size L", "L码"}, 105},
                                        {{"Size XL", "XL码"}, 110}};
constexpr VariantT kDumbbellVariants[] = {
    {{"2 kg", "2公斤"}, 100}, {{"5 kg", "5公斤"}, 220}, {{"10 kg", "10公斤"}, 400}};

// Attributes: index constants follow the array.
constexpr std::string_view kColourValues[] = {"black", "white", "blue", "red",
                                              "grey",  "green", "pink"};
constexpr std::string_view kMaterialValues[] = {"cotton", "polyester", "linen", "wool",
                                                "steel",  "plastic",   "wood",  "ceramic",
                                                "glass",  "rubber",    "nylon"};
constexpr std::string_view kGenderValues[] = {"men", "women", "unisex"};
constexpr std::string_view kFlavourValues[] = {"original", "spicy", "sweet", "salty",
                                               "sour",     "mild",  "bbq",   "seaweed"};
constexpr std::string_view kOriginValues[] = {"domestic", "imported"};
constexpr std::string_view kYesNoValues[] = {"yes", "no"};
constexpr std::string_view kSugarValues[] = {"sugar-free", "regular", "low-sugar"};
constexpr std::string_view kFatValues[] = {"full", "low", "skim"};
constexpr std::string_view kRoastValues[] = {"light", "medium", "dark"};
constexpr std::string_view kFormValues[] = {"tablet", "capsule", "syrup", "granules", "spray"};
constexpr std::string_view kAgeValues[] = {"adult", "child", "all ages"};
constexpr std::string_view kNetworkValues[] = {"5g", "4g"};
constexpr std::string_view kConnectivityValues[] = {"bluetooth", "usb-c", "wifi", "lightning",
                                                    "2.4ghz"};
constexpr std::string_view kPowerValues[] = {"20w", "33w", "65w", "100w"};
constexpr std::string_view kLayoutValues[] = {"full-size", "tenkeyless", "compact"};
constexpr std::string_view kScentValues[] = {"lemon", "lavender", "unscented", "green tea", "rose"};
constexpr std::string_view kSkinValues[] = {"dry", "oily", "combination", "sensitive", "all"};
constexpr std::string_view kHairValues[] = {"dry", "oily", "normal", "damaged"};
constexpr std::string_view kSpfValues[] = {"spf30", "spf50"};
constexpr std::string_view kLanguageValues[] = {"chinese", "english", "bilingual"};
constexpr std::string_view kLevelValues[] = {"beginner", "intermediate", "pro"};
constexpr std::string_view kFitValues[] = {"slim", "regular", "relaxed"};
constexpr std::string_view kPetAgeValues[] = {"young", "adult", "senior"};
constexpr std::string_view kPetSizeValues[] = {"small", "medium", "large"};
constexpr std::string_view kBatteryLifeValues[] = {"20h", "30h", "40h", "60h"};
constexpr std::string_view kBabyAgeValues[] = {"0-6 months", "6-12 months", "1-3 years"};
constexpr std::string_view kColourTempValues[] = {"warm", "neutral", "cool"};

constexpr AttrT kAttributes[] = {
    {"colour", kColourValues},     {"material", kMaterialValues},
    {"gender", kGenderValues},     {"flavour", kFlavourValues},
    {"origin", kOriginValues},     {"organic", kYesNoValues},
    {"sugar", kSugarValues},       {"fat", kFatValues},
    {"roast", kRoastValues},       {"form", kFormValues},
    {"otc", kYesNoValues},         {"age", kAgeValues},
    {"network", kNetworkValues},   {"connectivity", kConnectivityValues},
    {"power", kPowerValues},       {"layout", kLayoutValues},
    {"scent", kScentValues},       {"skin", kSkinValues},
    {"hair", kHairValues},         {"spf", kSpfValues},
    {"language", kLanguageValues}, {"level", kLevelValues},
    {"fit", kFitValues},           {"pet age", kPetAgeValues},
    {"pet size", kPetSizeValues},  {"battery life", kBatteryLifeValues},
    {"waterproof", kYesNoValues},  {"baby age", kBabyAgeValues},
    {"frozen", kYesNoValues},      {"colour temperature", kColourTempValues},
};
enum : int {
  aColour,
  aMaterial,
  aGender,
  aFlavour,
  aOrigin,
  aOrganic,
  aSugar,
  aFat,
  aRoast,
  aForm,
  aOtc,
  aAge,
  aNetwork,
  aConnectivity,
  aPower,
  aLayout,
  aScent,
  aSkin,
  aHair,
  aSpf,
  aLanguage,
  aLevel,
  aFit,
  aPetAge,
  aPetSize,
  aBatteryLife,
  aWaterproof,
  aBabyAge,
  aFrozen,
  aColourTemp,
};

// Food & Drinks
constexpr Bi kSnackNouns[] = {{"Potato Chips", "薯片"},       {"Mixed Nuts", "每日坚果"},
                              {"Beef Jerky", "牛肉干"},       {"Seaweed Snack", "海苔"},
                              {"Butter Cookies", "黄油曲奇"}, {"Dried Mango", "芒果干"}};
constexpr Bi kBeverageNouns[] = {
    {"Sparkling Water", "气泡水"}, {"Green Tea Drink", "绿茶饮料"},    {"Coconut Water", "椰子水"},
    {"Orange Juice", "橙汁"},      {"Oolong Tea Drink", "乌龙茶饮料"}, {"Cola", "可乐"}};
constexpr Bi kDairyNouns[] = {{"Whole Milk", "全脂牛奶"},
                              {"Greek Yogurt", "希腊酸奶"},
                              {"Oat Milk", "燕麦奶"},
                              {"Cheese Slices", "芝士片"},
                              {"Butter", "黄油"}};
constexpr Bi kFruitNouns[] = {{"Apples", "苹果"},      {"Bananas", "香蕉"},
                              {"Mandarins", "砂糖橘"}, {"Strawberries", "草莓"},
                              {"Grapes", "葡萄"},      {"Kiwi Fruit", "猕猴桃"}};
constexpr Bi kVegetableNouns[] = {{"Bok Choy", "上海青"}, {"Tomatoes", "西红柿"},
                                  {"Cucumbers", "黄瓜"},  {"Broccoli", "西兰花"},
                                  {"Potatoes", "土豆"},   {"Shiitake Mushrooms", "香菇"}};
constexpr Bi kMeatNouns[] = {{"Pork Belly", "五花肉"},
                             {"Chicken Breast", "鸡胸肉"},
                             {"Beef Steak", "牛排"},
                             {"Peeled Shrimp", "虾仁"},
                             {"Salmon Fillet", "三文鱼"}};
constexpr Bi kGrainNouns[] = {{"Jasmine Rice", "香米"},
                              {"Peanut Oil", "花生油"},
                              {"Light Soy Sauce", "生抽"},
                              {"Black Vinegar", "香醋"},
                              {"Dried Noodles", "挂面"}};
constexpr Bi kInstantNouns[] = {{"Instant Noodles", "方便面"},
                                {"Self-heating Hotpot", "自热火锅"},
                                {"Frozen Dumplings", "速冻水饺"},
                                {"Snail Rice Noodles", "螺蛳粉"}};
constexpr Bi kTeaCoffeeNouns[] = {
    {"Longjing Green Tea", "龙井茶"}, {"Jasmine Tea", "茉莉花茶"},    {"Coffee Beans", "咖啡豆"},
    {"Drip Coffee Bags", "挂耳咖啡"}, {"Instant Coffee", "速溶咖啡"}, {"Pu'er Tea", "普洱茶"}};
constexpr int kSnackAttrs[] = {aFlavour, aOrigin};
constexpr int kBeverageAttrs[] = {aFlavour, aSugar};
constexpr int kDairyAttrs[] = {aOrigin, aFat};
constexpr int kFreshAttrs[] = {aOrigin, aOrganic};
constexpr int kMeatAttrs[] = {aOrigin, aFrozen};
constexpr int kOriginAttrs[] = {aOrigin};
constexpr int kFlavourAttrs[] = {aFlavour};
constexpr int kTeaCoffeeAttrs[] = {aOrigin, aRoast};
constexpr LeafT kFoodLeaves[] = {
    {{"Snacks", "休闲零食"}, kSnackNouns, Axis::kWeight, kSnackAttrs, 500, 6000},
    {{"Beverages", "饮料"}, kBeverageNouns, Axis::kPack, kBeverageAttrs, 300, 900},
    {{"Dairy", "乳制品"}, kDairyNouns, Axis::kVolume, kDairyAttrs, 800, 6000},
    {{"Fresh Fruit", "新鲜水果"}, kFruitNouns, Axis::kWeight, kFreshAttrs, 600, 8000},
    {{"Vegetables", "蔬菜"}, kVegetableNouns, Axis::kWeight, kFreshAttrs, 200, 2500},
    {{"Meat & Seafood", "肉禽海鲜"}, kMeatNouns, Axis::kWeight, kMeatAttrs, 1500, 15000},
    // Index 6: seed_commerce.cpp's kRiceAisle.
    {{"Rice, Oil & Condiments", "粮油调味"}, kGrainNouns, Axis::kWeight, kOriginAttrs, 500, 9000},
    {{"Instant Food", "方便速食"}, kInstantNouns, Axis::kPack, kFlavourAttrs, 400, 5000},
    {{"Tea & Coffee", "茶叶咖啡"}, kTeaCoffeeNouns, Axis::kWeight, kTeaCoffeeAttrs, 1500, 30000},
};
constexpr Bi kFoodModifiers[] = {{"Classic", "经典"},       {"Premium", "优选"},
                                 {"Family Size", "家庭装"}, {"Crispy", "香脆"},
                                 {"Fresh", "鲜"},           {"Organic", "有机"}};
constexpr Bi kFoodFeatures[] = {{"Made from carefully selected ingredients.", "精选原料制作。"},
                                {"No artificial colours.", "不添加人工色素。"},
                                {"Store in a cool, dry place.", "请存放于阴凉干燥处。"},
                                {"Delivered chilled from the warehouse.", "冷链直送。"}};

// Health
constexpr Bi kColdNouns[] = {{"Cold Relief Granules", "感冒灵颗粒"},
                             {"Ibuprofen Tablets", "布洛芬片"},
                             {"Cough Syrup", "止咳糖浆"},
                             {"Throat Lozenges", "润喉片"}};
constexpr Bi kVitaminNouns[] = {{"Vitamin C Tablets", "维生素C片"},
                                {"Multivitamin", "复合维生素"},
                                {"Calcium and D3", "钙维D3"},
                                {"Fish Oil", "鱼油"}};
constexpr Bi kFirstAidNouns[] = {{"Adhesive Bandages", "创可贴"},
                                 {"Medical Alcohol", "医用酒精"},
                                 {"Iodine Swabs", "碘伏棉签"},
                                 {"Digital Thermometer", "电子体温计"}};
constexpr Bi kMaskNouns[] = {
    {"Surgical Masks", "医用外科口罩"}, {"KN95 Masks", "KN95口罩"}, {"Kids Masks", "儿童口罩"}};
constexpr Bi kDigestiveNouns[] = {{"Probiotics", "益生菌"},
                                  {"Antacid Tablets", "胃药"},
                                  {"Oral Rehydration Salts", "口服补液盐"}};
constexpr int kMedicineAttrs[] = {aForm, aOtc, aAge};
constexpr int kVitaminAttrs[] = {aForm, aAge};
constexpr int kOtcAttrs[] = {aOtc};
constexpr int kMaskAttrs[] = {aAge, aColour};
constexpr LeafT kHealthLeaves[] = {
    {{"Cold & Flu", "感冒用药"}, kColdNouns, Axis::kTablets, kMedicineAttrs, 1000, 5000},
    {{"Vitamins", "维生素"}, kVitaminNouns, Axis::kTablets, kVitaminAttrs, 3000, 20000},
    {{"First Aid", "急救用品"}, kFirstAidNouns, Axis::kPack, kOtcAttrs, 500, 6000},
    {{"Masks", "口罩"}, kMaskNouns, Axis::kPack, kMaskAttrs, 800, 5000},
    {{"Digestive Health", "肠胃用药"}, kDigestiveNouns, Axis::kTablets, kMedicineAttrs, 1500, 9000},
};
constexpr Bi kHealthModifiers[] = {
    {"Extra Strength", "加强型"}, {"Gentle", "温和型"}, {"Daily", "日常"}, {"Kids'", "儿童"}};
constexpr Bi kHealthFeatures[] = {
    {"Read the leaflet before use.", "使用前请阅读说明书。"},
    {"Keep out of reach of children.", "请放在儿童接触不到的地方。"},
    {"Ask a pharmacist if symptoms persist.", "如症状持续请咨询药师。"}};

// Electronics
constexpr Bi kPhoneNouns[] = {
    {"Smartphone", "智能手机"}, {"Camera Phone", "影像手机"}, {"Rugged Phone", "三防手机"}};
constexpr Bi kEarphoneNouns[] = {{"Wireless Earbuds", "无线耳机"},
                                 {"Noise-cancelling Headphones", "降噪耳机"},
                                 {"Sports Earphones", "运动耳机"}};
constexpr Bi kChargerNouns[] = {{"Fast Charger", "快充充电器"},
                                {"Charging Cable", "数据线"},
                                {"Wireless Charger", "无线充电器"}};
constexpr Bi kPowerBankNouns[] = {{"Power Bank", "充电宝"}, {"Magnetic Power Bank", "磁吸充电宝"}};
constexpr Bi kKeyboardNouns[] = {{"Mechanical Keyboard", "机械键盘"},
                                 {"Wireless Mouse", "无线鼠标"}};
constexpr Bi kWatchNouns[] = {{"Smart Watch", "智能手表"}, {"Fitness Band", "运动手环"}};
constexpr int kPhoneAttrs[] = {aColour, aNetwork};
constexpr int kEarphoneAttrs[] = {aConnectivity, aBatteryLife};
constexpr int kChargerAttrs[] = {aConnectivity, aPower};
constexpr int kPowerBankAttrs[] = {aColour, aPower};
constexpr int kKeyboardAttrs[] = {aConnectivity, aLayout};
constexpr int kWatchAttrs[] = {aConnectivity, aWaterproof};
constexpr LeafT kElectronicsLeaves[] = {
    {{"Phones", "手机"}, kPhoneNouns, Axis::kCapacity, kPhoneAttrs, 99900, 699900},
    {{"Earphones", "耳机"}, kEarphoneNouns, Axis::kColour, kEarphoneAttrs, 9900, 199900},
    {{"Chargers & Cables", "充电器与数据线"},
     kChargerNouns,
     Axis::kColour,
     kChargerAttrs,
     1900,
     19900},
    {{"Power Banks", "充电宝"}, kPowerBankNouns, Axis::kBattery, kPowerBankAttrs, 5900, 29900},
    {{"Keyboards & Mice", "键盘鼠标"}, kKeyboardNouns, Axis::kColour, kKeyboardAttrs, 4900, 69900},
    {{"Smart Watches", "智能手表"}, kWatchNouns, Axis::kColour, kWatchAttrs, 19900, 249900},
};
constexpr Bi kElectronicsModifiers[] = {
    {"Pro", "Pro"}, {"Lite", "青春版"}, {"Max", "Max"}, {"Air", "Air"}, {"Plus", "Plus"}};
constexpr Bi kElectronicsFeatures[] = {{"One-year warranty.", "一年质保。"},
                                       {"Fast charging over USB-C.", "支持USB-C快充。"},
                                       {"Pairs with phones in seconds.", "秒连手机。"}};

// Home
constexpr Bi kKitchenNouns[] = {{"Non-stick Pan", "不粘锅"},
                                {"Chef's Knife", "厨师刀"},
                                {"Rice Cooker", "电饭煲"},
                                {"Electric Kettle", "电热水壶"},
                                {"Cutting Board", "砧板"}};
constexpr Bi kBeddingNouns[] = {
    {"Duvet", "被子"}, {"Pillow", "枕头"}, {"Bed Sheet Set", "床单四件套"}};
constexpr Bi kStorageNouns[] = {
    {"Storage Box", "收纳箱"}, {"Clothes Hangers", "衣架"}, {"Shoe Rack", "鞋架"}};
constexpr Bi kCleaningNouns[] = {{"Laundry Detergent", "洗衣液"},
                                 {"Dish Soap", "洗洁精"},
                                 {"Tissue Packs", "抽纸"},
                                 {"Spin Mop", "旋转拖把"}};
constexpr Bi kLightingNouns[] = {
    {"Desk Lamp", "台灯"}, {"LED Bulb", "LED灯泡"}, {"Night Light", "小夜灯"}};
constexpr int kMaterialAttrs[] = {aMaterial};
constexpr int kBeddingAttrs[] = {aMaterial, aColour};
constexpr int kStorageAttrs[] = {aMaterial, aColour};
constexpr int kCleaningAttrs[] = {aScent};
constexpr int kLightingAttrs[] = {aPower, aColourTemp};
constexpr LeafT kHomeLeaves[] = {
    {{"Kitchenware", "厨具"}, kKitchenNouns, Axis::kColour, kMaterialAttrs, 2900, 59900},
    {{"Bedding", "床上用品"}, kBeddingNouns, Axis::kBed, kBeddingAttrs, 5900, 89900},
    {{"Storage", "收纳"}, kStorageNouns, Axis::kPack, kStorageAttrs, 990, 19900},
    {{"Cleaning", "清洁用品"}, kCleaningNouns, Axis::kVolume, kCleaningAttrs, 690, 12900},
    {{"Lighting", "灯具"}, kLightingNouns, Axis::kColour, kLightingAttrs, 1990, 39900},
};
constexpr Bi kHomeModifiers[] = {
    {"Nordic", "北欧风"}, {"Compact", "小巧"}, {"Heavy-duty", "加厚"}, {"Minimal", "简约"}};
constexpr Bi kHomeFeatures[] = {{"Fits small apartments.", "适合小户型。"},
                                {"Easy to clean.", "易清洁。"},
                                {"Thirty-day returns.", "支持30天退货。"}};

// Clothing
constexpr Bi kTshirtNouns[] = {
    {"Cotton T-shirt", "纯棉T恤"}, {"Polo Shirt", "Polo衫"}, {"Graphic Tee", "印花T恤"}};
constexpr Bi kJeansNouns[] = {{"Slim Jeans", "修身牛仔裤"},
                              {"Straight Jeans", "直筒牛仔裤"},
                              {"Wide-leg Jeans", "阔腿牛仔裤"}};
constexpr Bi kJacketNouns[] = {
    {"Down Jacket", "羽绒服"}, {"Windbreaker", "风衣"}, {"Fleece Jacket", "抓绒外套"}};
constexpr Bi kSneakerNouns[] = {
    {"Running Shoes", "跑步鞋"}, {"Canvas Sneakers", "帆布鞋"}, {"Basketball Shoes", "篮球鞋"}};
constexpr Bi kSockNouns[] = {{"Cotton Socks", "棉袜"}, {"Boxer Briefs", "平角内裤"}};
constexpr int kShirtAttrs[] = {aColour, aMaterial, aGender};
constexpr int kJeansAttrs[] = {aColour, aGender, aFit};
constexpr int kJacketAttrs[] = {aColour, aGender};
constexpr int kSockAttrs[] = {aColour, aGender, aMaterial};
constexpr LeafT kClothingLeaves[] = {
    {{"T-shirts", "T恤"}, kTshirtNouns, Axis::kClothing, kShirtAttrs, 3900, 19900},
    {{"Jeans", "牛仔裤"}, kJeansNouns, Axis::kClothing, kJeansAttrs, 9900, 39900},
    {{"Jackets", "外套"}, kJacketNouns, Axis::kClothing, kJacketAttrs, 19900, 129900},
    {{"Sneakers", "运动鞋"}, kSneakerNouns, Axis::kShoe, kJacketAttrs, 19900, 99900},
    {{"Socks & Underwear", "袜子内衣"}, kSockNouns, Axis::kPack, kSockAttrs, 1900, 9900},
};
constexpr Bi kClothingModifiers[] = {
    {"Everyday", "百搭"}, {"Lightweight", "轻薄"}, {"Warm", "保暖"}, {"Retro", "复古"}};
constexpr Bi kClothingFeatures[] = {{"Machine washable.", "可机洗。"},
                                    {"True to size.", "尺码标准。"},
                                    {"Soft and breathable.", "柔软透气。"}};

// Beauty
constexpr Bi kSkincareNouns[] = {{"Moisturiser", "面霜"},
                                 {"Facial Cleanser", "洗面奶"},
                                 {"Toner", "爽肤水"},
                                 {"Sheet Masks", "面膜"}};
constexpr Bi kHairNouns[] = {
    {"Shampoo", "洗发水"}, {"Conditioner", "护发素"}, {"Hair Oil", "护发精油"}};
constexpr Bi kOralNouns[] = {
    {"Toothpaste", "牙膏"}, {"Electric Toothbrush", "电动牙刷"}, {"Mouthwash", "漱口水"}};
constexpr Bi kSunNouns[] = {{"Sunscreen Lotion", "防晒霜"}, {"Sunscreen Spray", "防晒喷雾"}};
constexpr int kSkinAttrs[] = {aSkin, aGender};
constexpr int kHairAttrs[] = {aHair, aScent};
constexpr int kOralAttrs[] = {aFlavour};
constexpr int kSunAttrs[] = {aSpf, aSkin};
constexpr LeafT kBeautyLeaves[] = {
    {{"Skincare", "护肤"}, kSkincareNouns, Axis::kVolume, kSkinAttrs, 3900, 39900},
    {{"Hair Care", "洗护发"}, kHairNouns, Axis::kVolume, kHairAttrs, 2900, 15900},
    {{"Oral Care", "口腔护理"}, kOralNouns, Axis::kPack, kOralAttrs, 990, 39900},
    {{"Sun Care", "防晒"}, kSunNouns, Axis::kVolume, kSunAttrs, 5900, 19900},
};
constexpr Bi kBeautyModifiers[] = {
    {"Hydrating", "补水"}, {"Gentle", "温和"}, {"Fresh", "清爽"}, {"Repair", "修护"}};
constexpr Bi kBeautyFeatures[] = {{"Dermatologist tested.", "经皮肤科测试。"},
                                  {"No added fragrance.", "无添加香精。"},
                                  {"Suitable for daily use.", "适合日常使用。"}};

// Books
constexpr Bi kFictionNouns[] = {{"Novel", "长篇小说"},
                                {"Short Stories", "短篇小说集"},
                                {"Mystery Novel", "推理小说"},
                                {"Science Fiction", "科幻小说"}};
constexpr Bi kChildrenNouns[] = {
    {"Picture Book", "绘本"}, {"Bedtime Stories", "睡前故事"}, {"Science Comics", "科普漫画"}};
constexpr Bi kCookingNouns[] = {{"Home Cooking Guide", "家常菜谱"}, {"Baking Book", "烘焙教程"}};
constexpr Bi kLearningNouns[] = {{"English Workbook", "英语练习册"},
                                 {"Chinese Dictionary", "汉语词典"},
                                 {"Programming Guide", "编程入门"}};
constexpr int kBookAttrs[] = {aLanguage};
constexpr int kChildBookAttrs[] = {aLanguage, aAge};
constexpr LeafT kBookLeaves[] = {
    {{"Fiction", "小说"}, kFictionNouns, Axis::kFormat, kBookAttrs, 2900, 8900},
    {{"Children's Books", "童书"}, kChildrenNouns, Axis::kFormat, kChildBookAttrs, 1900, 6900},
    {{"Cooking", "烹饪美食"}, kCookingNouns, Axis::kFormat, kBookAttrs, 3900, 9900},
    {{"Learning", "学习教辅"}, kLearningNouns, Axis::kFormat, kBookAttrs, 1900, 12900},
};
constexpr Bi kBookModifiers[] = {
    {"Illustrated", "插图版"}, {"New Edition", "新版"}, {"Collected", "典藏版"}};
constexpr Bi kBookFeatures[] = {{"A bestseller this season.", "本季畅销。"},
                                {"Printed on recycled paper.", "再生纸印刷。"},
                                {"Includes a reading guide.", "附阅读指南。"}};

// Sports
constexpr Bi kFitnessNouns[] = {
    {"Yoga Mat", "瑜伽垫"}, {"Resistance Bands", "弹力带"}, {"Jump Rope", "跳绳"}};
constexpr Bi kDumbbellNouns[] = {{"Dumbbells", "哑铃"}, {"Kettlebell", "壶铃"}};
constexpr Bi kBallNouns[] = {{"Basketball", "篮球"},
                             {"Football", "足球"},
                             {"Badminton Racket", "羽毛球拍"},
                             {"Table Tennis Paddle", "乒乓球拍"}};
constexpr Bi kOutdoorNouns[] = {{"Tent", "帐篷"},
                                {"Hiking Backpack", "登山包"},
                                {"Water Bottle", "运动水壶"},
                                {"Folding Chair", "折叠椅"}};
constexpr Bi kCyclingNouns[] = {
    {"Bike Helmet", "骑行头盔"}, {"Bike Light", "自行车灯"}, {"Cycling Gloves", "骑行手套"}};
constexpr int kFitnessAttrs[] = {aMaterial, aLevel};
constexpr int kOutdoorAttrs[] = {aMaterial, aWaterproof};
constexpr LeafT kSportsLeaves[] = {
    {{"Fitness", "健身器材"}, kFitnessNouns, Axis::kColour, kFitnessAttrs, 1900, 19900},
    {{"Weights", "力量训练"}, kDumbbellNouns, Axis::kDumbbell, kFitnessAttrs, 4900, 29900},
    {{"Ball Sports", "球类运动"}, kBallNouns, Axis::kNone, kFitnessAttrs, 3900, 59900},
    {{"Outdoor", "户外装备"}, kOutdoorNouns, Axis::kColour, kOutdoorAttrs, 2900, 99900},
    {{"Cycling", "骑行装备"}, kCyclingNouns, Axis::kColour, kOutdoorAttrs, 2900, 39900},
};
constexpr Bi kSportsModifiers[] = {
    {"Training", "训练款"}, {"Pro", "专业款"}, {"Outdoor", "户外"}, {"Lightweight", "轻量"}};
constexpr Bi kSportsFeatures[] = {{"Tested by coaches.", "教练实测推荐。"},
                                  {"Built for daily training.", "适合日常训练。"},
                                  {"Folds flat for travel.", "可折叠，方便携带。"}};

// Baby
constexpr Bi kDiaperNouns[] = {{"Diapers", "纸尿裤"}, {"Pull-up Pants", "拉拉裤"}};
constexpr Bi kFormulaNouns[] = {{"Infant Formula", "婴儿配方奶粉"}, {"Toddler Milk", "成长奶粉"}};
constexpr Bi kBabyCareNouns[] = {
    {"Baby Wipes", "婴儿湿巾"}, {"Baby Lotion", "婴儿润肤乳"}, {"Baby Bottle", "奶瓶"}};
constexpr int kDiaperAttrs[] = {aBabyAge};
constexpr int kFormulaAttrs[] = {aBabyAge, aOrigin};
constexpr int kBabyCareAttrs[] = {aScent};
constexpr LeafT kBabyLeaves[] = {
    {{"Diapers", "纸尿裤"}, kDiaperNouns, Axis::kDiaper, kDiaperAttrs, 5900, 19900},
    {{"Formula", "奶粉"}, kFormulaNouns, Axis::kWeight, kFormulaAttrs, 9900, 49900},
    {{"Baby Care", "婴童护理"}, kBabyCareNouns, Axis::kPack, kBabyCareAttrs, 990, 9900},
};
constexpr Bi kBabyModifiers[] = {
    {"Ultra-thin", "超薄"}, {"Sensitive", "敏感肌"}, {"Night-time", "夜用"}};
constexpr Bi kBabyFeatures[] = {{"Gentle on baby's skin.", "呵护宝宝肌肤。"},
                                {"Hypoallergenic.", "低敏配方。"}};

// Pets
constexpr Bi kCatNouns[] = {{"Cat Food", "猫粮"}, {"Cat Litter", "猫砂"}, {"Cat Treats", "猫零食"}};
constexpr Bi kDogNouns[] = {
    {"Dog Food", "狗粮"}, {"Dog Leash", "牵引绳"}, {"Chew Toy", "磨牙玩具"}};
constexpr int kCatAttrs[] = {aPetAge, aFlavour};
constexpr int kDogAttrs[] = {aPetSize, aPetAge};
constexpr LeafT kPetLeaves[] = {
    {{"Cat Supplies", "猫用品"}, kCatNouns, Axis::kWeight, kCatAttrs, 1900, 29900},
    {{"Dog Supplies", "狗用品"}, kDogNouns, Axis::kWeight, kDogAttrs, 1900, 29900},
};
constexpr Bi kPetModifiers[] = {{"Grain-free", "无谷"}, {"Natural", "天然"}, {"Indoor", "室内"}};
constexpr Bi kPetFeatures[] = {{"Vet recommended.", "宠物医生推荐。"},
                               {"Resealable bag.", "可重复密封袋装。"}};

constexpr TopT kCatalog[] = {
    {{"Food & Drinks", "食品饮料"}, kFoodLeaves, kFoodModifiers, kFoodFeatures},
    {{"Health", "医药健康"}, kHealthLeaves, kHealthModifiers, kHealthFeatures},
    {{"Electronics", "数码电子"}, kElectronicsLeaves, kElectronicsModifiers, kElectronicsFeatures},
    {{"Home", "家居日用"}, kHomeLeaves, kHomeModifiers, kHomeFeatures},
    {{"Clothing", "服饰鞋包"}, kClothingLeaves, kClothingModifiers, kClothingFeatures},
    {{"Beauty", "美妆个护"}, kBeautyLeaves, kBeautyModifiers, kBeautyFeatures},
    {{"Books", "图书"}, kBookLeaves, kBookModifiers, kBookFeatures},
    {{"Sports & Outdoors", "运动户外"}, kSportsLeaves, kSportsModifiers, kSportsFeatures},
    {{"Baby", "母婴"}, kBabyLeaves, kBabyModifiers, kBabyFeatures},
    {{"Pets", "宠物"}, kPetLeaves, kPetModifiers, kPetFeatures},
};

// Brand names are two syllables from this pool ("Yunxi" / "云溪"): invented, none of them an
// existing brand we know of.
constexpr Bi kBrandSyllables[] = {
    {"Yun", "云"},  {"Xing", "星"},  {"He", "禾"},   {"Yue", "悦"},  {"Yuan", "源"},
    {"Sen", "森"},  {"Lang", "朗"},  {"Jin", "锦"},  {"Rui", "瑞"},  {"Chen", "晨"},
    {"Lan", "岚"},  {"Xi", "溪"},    {"Zhu", "竹"},  {"Feng", "枫"}, {"Cheng", "橙"},
    {"You", "柚"},  {"Qi", "栖"},    {"Yao", "遥"},  {"Zhou", "舟"}, {"Yu", "屿"},
    {"Wei", "蔚"},  {"Nuan", "暖"},  {"Shi", "拾"},  {"Ji", "集"},   {"Su", "素"},
    {"Jian", "简"}, {"Mu", "木"},    {"Bai", "白"},  {"Qing", "青"}, {"Mo", "墨"},
    {"Shan", "山"}, {"Chuan", "川"}, {"Gu", "谷"},   {"Ye", "野"},   {"Lu", "鹿"},
    {"Jing", "鲸"}, {"Ou", "鸥"},    {"Tang", "棠"}, {"Ning", "宁"}, {"Hai", "海"},
};

}  // namespace

std::span<const Bi> street_roots() {
  return kStreetRoots;
}
std::span<const Bi> district_names() {
  return kDistrictNames;
}
std::span<const Bi> place_roots() {
  return kPlaceRoots;
}

std::string chinese_number(int n) {
  static constexpr std::string_view kDigits[] = {"",   "一", "二", "三", "四",
                                                 "五", "六", "七", "八", "九"};
  QWL_CHECK(n >= 1 && n <= 99, "chinese_number({})", n);
  if (n < 10) return std::string(kDigits[n]);
  std::string out = n >= 20 ? std::string(kDigits[n / 10]) : std::string();
  out += "十";
  out += kDigits[n % 10];
  return out;
}

std::string english_ordinal(int n) {
  const int tens = n % 100;
  std::string_view suffix = "th";
  if (tens < 11 || tens > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + std::string(suffix);
}

std::span<const Cuisine> cuisines() {
  return kCuisines;
}

int cuisine_index(std::string_view key) {
  for (size_t i = 0; i < std::size(kCuisines); ++i) {
    if (kCuisines[i].key == key) return static_cast<int>(i);
  }
  QWL_CHECK(false, "unknown cuisine {}", key);
  return 0;
}

std::span<const ShopLine> shop_lines() {
  return kShopLines;
}

std::span<const Bi> kind_suffixes(PoiKind kind) {
  switch (kind) {
    case PoiKind::kCafe:
      return kCafeSuffixes;
    case PoiKind::kTea:
      return kTeaSuffixes;
    case PoiKind::kRestaurant:
      return kRestaurantSuffixes;
    case PoiKind::kSupermarket:
      return kSupermarketSuffixes;
    case PoiKind::kPharmacy:
      return kPharmacySuffixes;
    case PoiKind::kHotel:
      return kHotelSuffixes;
    case PoiKind::kCinema:
      return kCinemaSuffixes;
    case PoiKind::kSight:
      return kSightSuffixes;
    case PoiKind::kOffice:
      return kOfficeSuffixes;
    case PoiKind::kResidence:
      return kResidenceSuffixes;
    case PoiKind::kStation:
      return kStationSuffixes;
    case PoiKind::kAirport:
      return kAirportSuffixes;
    case PoiKind::kShop:
      return kShopSuffixes;
  }
  return kShopSuffixes;
}

std::span<const Bi> kind_descriptions(PoiKind kind) {
  switch (kind) {
    case PoiKind::kCafe:
      return kCafeDescriptions;
    case PoiKind::kTea:
      return kTeaDescriptions;
    case PoiKind::kRestaurant:
      return kRestaurantDescriptions;
    case PoiKind::kSupermarket:
      return kSupermarketDescriptions;
    case PoiKind::kPharmacy:
      return kPharmacyDescriptions;
    case PoiKind::kHotel:
      return kHotelDescriptions;
    case PoiKind::kCinema:
      return kCinemaDescriptions;
    case PoiKind::kSight:
      return kSightDescriptions;
    case PoiKind::kOffice:
      return kOfficeDescriptions;
    case PoiKind::kResidence:
      return kResidenceDescriptions;
    case PoiKind::kStation:
      return kStationDescriptions;
    case PoiKind::kAirport:
      return kAirportDescriptions;
    case PoiKind::kShop:
      return kShopDescriptions;
  }
  return kShopDescriptions;
}

std::span<const Bi> family_names() {
  return kFamilyNames;
}
std::span<const Bi> given_names() {
  return kGivenNames;
}

std::span<const Bi> review_sentences(PoiKind kind, int sentiment) {
  if (sentiment <= 0) return kReviewBad;
  if (sentiment == 1) return kReviewMixed;
  switch (kind) {
    case PoiKind::kCafe:
      return kReviewCafeGood;
    case PoiKind::kTea:
      return kReviewTeaGood;
    case PoiKind::kRestaurant:
      return kReviewRestaurantGood;
    case PoiKind::kHotel:
      return kReviewHotelGood;
    default:
      return kReviewGood;
  }
}

std::span<const GroupT> option_groups() {
  return kGroups;
}
std::span<const ItemT> cafe_menu() {
  return kCafeMenu;
}
std::span<const ItemT> tea_menu() {
  return kTeaMenu;
}

std::span<const ItemT> cuisine_menu(int cuisine) {
  const std::string_view key = kCuisines[cuisine].key;
  if (key == "sichuan") return kSichuanMenu;
  if (key == "cantonese") return kCantoneseMenu;
  if (key == "hotpot") return kHotpotMenu;
  if (key == "noodles") return kNoodleMenu;
  if (key == "dumplings") return kDumplingMenu;
  if (key == "hangzhou") return kHangzhouMenu;
  if (key == "bbq") return kBbqMenu;
  if (key == "japanese") return kJapaneseMenu;
  if (key == "western") return kWesternMenu;
  return kVegetarianMenu;
}

std::span<const VariantT> axis_variants(Axis axis) {
  switch (axis) {
    case Axis::kNone:
      return kNoneVariants;
    case Axis::kClothing:
      return kClothingVariants;
    case Axis::kShoe:
      return kShoeVariants;
    case Axis::kCapacity:
      return kCapacityVariants;
    case Axis::kWeight:
      return kWeightVariants;
    case Axis::kPack:
      return kPackVariants;
    case Axis::kTablets:
      return kTabletVariants;
    case Axis::kVolume:
      return kVolumeVariants;
    case Axis::kColour:
      return kColourVariants;
    case Axis::kBed:
      return kBedVariants;
    case Axis::kFormat:
      return kFormatVariants;
    case Axis::kBattery:
      return kBatteryVariants;
    case Axis::kDiaper:
      return kDiaperVariants;
    case Axis::kDumbbell:
      return kDumbbellVariants;
  }
  return kNoneVariants;
}

bool axis_is_ordered(Axis axis) {
  return axis != Axis::kColour;
}

std::span<const AttrT> attributes() {
  return kAttributes;
}
std::span<const TopT> catalog() {
  return kCatalog;
}
std::span<const Bi> brand_syllables() {
  return kBrandSyllables;
}

}  // namespace qwl::services::seed_internal
