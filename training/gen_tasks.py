#!/usr/bin/python3
"""Writes the default model's training tasks and the held-out split (suite format, eval/README.md).

Every task is a conversation with the demo city of `qwenlayer seed` (seed 1): user turns drawn
from a compositional pool of phrasings in English and Chinese (many templates per intent,
synonyms, word order, quantities as words or digits, typos, casing, mixed language, polite and
terse forms) with slot values from the seed, the script an ideal model writes (the canonical
tool calls, and short replies that quote the tool results through placeholders the policy
server fills in), and the checks that hold whoever writes the calls. Intents, the canonical
call sequences, the split rule and the counts: training/GENERATOR.md.

    /usr/bin/python3 training/gen_tasks.py --train training/data/train_tasks.jsonl \\
        --heldout eval/heldout.jsonl [--n-train 12000] [--n-heldout 400] [--seed 1] [--stats]

Deterministic for a seed. The held-out split uses only held-out templates (every fourth
template of each intent) and, in most tasks, held-out entities (menu items, products, places,
restaurants, hotels, merchants, party/time and amount combinations) that no training task
mentions. The ids and prices below come from the seed; `qwenlayer eval FILE` with the scripted
backend checks every task against a freshly seeded city.
"""

import argparse
import collections
import datetime
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "eval"))
import gen_suite as gs  # noqa: E402  (the suite's helpers and constants, read-only)

ALICE, WANG = gs.ALICE, gs.WANG
USER_ID, BALANCE = gs.USER_ID, gs.BALANCE
call, E, q, has, setup_call = gs.call, gs.E, gs.q, gs.has, gs.setup_call
orders_rows, wallet_paid, no_orders, actions_by_status = (gs.orders_rows, gs.wallet_paid,
                                                          gs.no_orders, gs.actions_by_status)

TOOLS = ["search_products", "search_merchants", "get_menu", "nearby_places", "get_route",
         "view_cart", "preview_order", "list_orders", "get_order", "get_wallet", "list_coupons",
         "table_availability", "hotel_availability", "ride_quote", "list_bookings", "add_to_cart",
         "update_cart_line", "clear_cart", "claim_coupon", "checkout", "cancel_order",
         "request_refund", "top_up_wallet", "book_table", "book_hotel", "request_ride",
         "cancel_booking"]
IRREVERSIBLE = ["checkout", "cancel_order", "request_refund", "top_up_wallet", "book_table",
                "book_hotel", "request_ride", "cancel_booking"]

# ---- the demo city (extracted from a seeded database; the scripted run re-checks it) ---------

# Landmark menu items: id -> (merchant, English, Chinese, price, stock, option groups). A group is
# (key, min choices, max choices, [(English, Chinese, price delta, default?)]) in the menu's order.
OPTION_GROUPS = {
    'SI0': ('size', 1, 1, [('Medium', '中杯', 0, 1), ('Large', '大杯', 300, 0)]),
    'IC0': ('ice', 1, 1, [('Regular ice', '正常冰', 0, 1), ('Less ice', '少冰', 0, 0), ('No ice', '去冰', 0, 0), ('Hot', '热', 0, 0)]),
    'SU0': ('sugar', 1, 1, [('No added sugar', '不另外加糖', 0, 1), ('Less sugar', '少糖', 0, 0), ('Regular sugar', '标准糖', 0, 0)]),
    'EX0': ('extra', 0, 2, [('Extra shot', '加一份浓缩', 400, 0), ('Vanilla syrup', '香草糖浆', 300, 0), ('Caramel syrup', '焦糖糖浆', 300, 0)]),
    'TE0': ('temperature', 1, 1, [('Hot', '热', 0, 1), ('Iced', '冰', 0, 0)]),
    'MI0': ('milk', 1, 1, [('Whole milk', '全脂牛奶', 0, 1), ('Skim milk', '脱脂牛奶', 0, 0), ('Oat milk', '燕麦奶', 300, 0), ('Soy milk', '豆奶', 200, 0)]),
    'SI1': ('size', 1, 1, [('Small', '小份', -500, 0), ('Regular', '中份', 0, 1), ('Large', '大份', 800, 0)]),
    'SP0': ('spice', 1, 1, [('Not spicy', '不辣', 0, 0), ('Mild', '微辣', 0, 1), ('Medium', '中辣', 0, 0), ('Extra hot', '特辣', 0, 0)]),
    'SI2': ('size', 1, 1, [('Regular', '标准份', 0, 1), ('Large', '大份', 400, 0)]),
    'IC1': ('ice', 1, 1, [('Regular ice', '正常冰', 0, 1), ('Less ice', '少冰', 0, 0), ('No ice', '去冰', 0, 0), ('Warm', '温', 0, 0), ('Hot', '热', 0, 0)]),
    'SU1': ('sugar', 1, 1, [('Regular sugar', '标准糖', 0, 1), ('Less sugar', '少糖', 0, 0), ('Half sugar', '半糖', 0, 0), ('Light sugar', '微糖', 0, 0), ('No sugar', '不加糖', 0, 0)]),
    'EX1': ('extra', 0, 3, [('Pearls', '珍珠', 100, 0), ('Coconut jelly', '椰果', 100, 0), ('Pudding', '布丁', 200, 0), ('Grass jelly', '仙草', 100, 0), ('Red bean', '红豆', 150, 0), ('Cheese foam', '芝士奶盖', 300, 0)]),
    'EX2': ('extra', 0, 3, [('Fried egg', '加煎蛋', 200, 0), ('Extra beef', '加牛肉', 600, 0), ('Extra noodles', '加面', 200, 0), ('Bok choy', '加青菜', 100, 0)]),
}
ITEM_ROWS = [
    (1, 1, 'Oat Latte', '燕麦拿铁', 2300, None, 'SI0 IC0 SU0 EX0'),
    (2, 1, 'Americano', '美式咖啡', 1600, None, 'SI0 TE0 SU0 EX0'),
    (3, 1, 'Latte', '拿铁', 2000, None, 'SI0 IC0 SU0 MI0 EX0'),
    (4, 1, 'Cappuccino', '卡布奇诺', 2000, None, 'SI0 SU0 MI0'),
    (5, 1, 'Flat White', '澳白', 2400, None, 'SI0 MI0'),
    (6, 1, 'Mocha', '摩卡', 2500, None, 'SI0 IC0 SU0 MI0 EX0'),
    (7, 1, 'Caramel Macchiato', '焦糖玛奇朵', 2700, None, 'SI0 IC0 SU0 MI0 EX0'),
    (8, 1, 'Cold Brew', '冷萃咖啡', 2200, None, 'SI0 IC0 SU0'),
    (9, 1, 'Coconut Latte', '生椰拿铁', 2400, None, 'SI0 IC0 SU0 EX0'),
    (10, 1, 'Matcha Latte', '抹茶拿铁', 2400, None, 'SI0 IC0 SU0 MI0'),
    (11, 1, 'Hot Chocolate', '热巧克力', 2000, None, 'SI0 MI0'),
    (13, 1, 'Basque Cheesecake', '巴斯克芝士蛋糕', 2800, 9, ''),
    (14, 1, 'Ham and Cheese Sandwich', '火腿芝士三明治', 2600, 23, ''),
    (15, 2, 'Oat Latte', '燕麦拿铁', 2000, None, 'SI0 IC0 SU0 EX0'),
    (16, 2, 'Americano', '美式咖啡', 1300, None, 'SI0 TE0 SU0 EX0'),
    (17, 2, 'Latte', '拿铁', 1700, None, 'SI0 IC0 SU0 MI0 EX0'),
    (18, 2, 'Cappuccino', '卡布奇诺', 1700, None, 'SI0 SU0 MI0'),
    (19, 2, 'Flat White', '澳白', 2100, None, 'SI0 MI0'),
    (20, 2, 'Mocha', '摩卡', 2200, None, 'SI0 IC0 SU0 MI0 EX0'),
    (21, 2, 'Caramel Macchiato', '焦糖玛奇朵', 2400, None, 'SI0 IC0 SU0 MI0 EX0'),
    (22, 2, 'Cold Brew', '冷萃咖啡', 1900, None, 'SI0 IC0 SU0'),
    (23, 2, 'Coconut Latte', '生椰拿铁', 2100, None, 'SI0 IC0 SU0 EX0'),
    (24, 2, 'Matcha Latte', '抹茶拿铁', 2100, None, 'SI0 IC0 SU0 MI0'),
    (25, 2, 'Hot Chocolate', '热巧克力', 1700, None, 'SI0 MI0'),
    (27, 2, 'Basque Cheesecake', '巴斯克芝士蛋糕', 2500, 12, ''),
    (28, 2, 'Ham and Cheese Sandwich', '火腿芝士三明治', 2300, 19, ''),
    (29, 3, 'Mapo Tofu', '麻婆豆腐', 2800, None, 'SI1 SP0'),
    (30, 3, 'Kung Pao Chicken', '宫保鸡丁', 3800, None, 'SI1 SP0'),
    (31, 3, 'Boiled Fish in Chili Oil', '水煮鱼', 6800, None, 'SI1 SP0'),
    (32, 3, 'Twice-Cooked Pork', '回锅肉', 4200, None, 'SI1 SP0'),
    (33, 3, 'Yu-Shiang Shredded Pork', '鱼香肉丝', 3200, None, 'SI1 SP0'),
    (34, 3, 'Dry-Fried Green Beans', '干煸四季豆', 2600, None, 'SI1 SP0'),
    (35, 3, 'Sliced Beef in Chili Sauce', '夫妻肺片', 3600, None, 'SP0'),
    (36, 3, 'Hot and Sour Potato Shreds', '酸辣土豆丝', 1800, None, 'SI1 SP0'),
    (37, 3, 'Dan Dan Noodles', '担担面', 1800, None, 'SI2 SP0'),
    (38, 3, 'Steamed Rice', '米饭', 300, None, 'SI2'),
    (39, 3, 'Sour Plum Drink', '酸梅汤', 800, None, ''),
    (40, 4, 'Pearl Milk Tea', '珍珠奶茶', 1500, None, 'SI0 IC1 SU1 EX1'),
    (41, 4, 'Brown Sugar Boba Milk', '黑糖珍珠鲜奶', 1800, None, 'SI0 IC1 EX1'),
    (42, 4, 'Taro Milk Tea', '芋泥奶茶', 1700, None, 'SI0 IC1 SU1 EX1'),
    (43, 4, 'Oolong Milk Tea', '乌龙奶茶', 1600, None, 'SI0 IC1 SU1 EX1'),
    (44, 4, 'Coconut Milk Tea', '椰椰奶茶', 1600, None, 'SI0 IC1 SU1 EX1'),
    (45, 4, 'Mango Pomelo Sago', '杨枝甘露', 1900, None, 'SI0 IC1 SU1'),
    (46, 4, 'Grape Cheese Tea', '芝士葡萄', 2100, None, 'SI0 IC1 SU1 EX1'),
    (47, 4, 'Lemon Black Tea', '柠檬红茶', 1300, None, 'SI0 IC1 SU1'),
    (48, 4, 'Strawberry Fruit Tea', '草莓果茶', 1900, None, 'SI0 IC1 SU1 EX1'),
    (49, 4, 'Jasmine Green Tea', '茉莉绿茶', 1000, None, 'SI0 IC1 SU1'),
    (50, 4, 'House Special Tea', '招牌特调', 1800, None, 'SI0 IC1 SU1'),
    (51, 5, 'Pearl Milk Tea', '珍珠奶茶', 1500, None, 'SI0 IC1 SU1 EX1'),
    (52, 5, 'Brown Sugar Boba Milk', '黑糖珍珠鲜奶', 1800, None, 'SI0 IC1 EX1'),
    (53, 5, 'Taro Milk Tea', '芋泥奶茶', 1700, None, 'SI0 IC1 SU1 EX1'),
    (54, 5, 'Oolong Milk Tea', '乌龙奶茶', 1600, None, 'SI0 IC1 SU1 EX1'),
    (55, 5, 'Coconut Milk Tea', '椰椰奶茶', 1600, None, 'SI0 IC1 SU1 EX1'),
    (56, 5, 'Mango Pomelo Sago', '杨枝甘露', 1900, None, 'SI0 IC1 SU1'),
    (57, 5, 'Grape Cheese Tea', '芝士葡萄', 2100, None, 'SI0 IC1 SU1 EX1'),
    (59, 5, 'Strawberry Fruit Tea', '草莓果茶', 1900, None, 'SI0 IC1 SU1 EX1'),
    (60, 5, 'Jasmine Green Tea', '茉莉绿茶', 1000, None, 'SI0 IC1 SU1'),
    (61, 6, 'Beef Noodle Soup', '红烧牛肉面', 2600, None, 'SI2 SP0 EX2'),
    (62, 6, "Pian'er Chuan Noodles", '片儿川', 2200, None, 'SI2 EX2'),
    (63, 6, 'Scallion Oil Noodles', '葱油拌面', 1600, None, 'SI2 EX2'),
    (64, 6, 'Zhajiang Noodles', '炸酱面', 1900, None, 'SI2 EX2'),
    (65, 6, 'Hot and Sour Glass Noodles', '酸辣粉', 1600, None, 'SP0 EX2'),
    (66, 6, 'Xiaolongbao', '小笼包', 1800, None, ''),
    (67, 6, 'Smashed Cucumber', '拍黄瓜', 1000, None, ''),
    (68, 9, 'Lamb Skewers', '羊肉串', 2500, None, 'SP0'),
    (70, 9, 'Grilled Eggplant', '蒜蓉烤茄子', 1800, None, 'SP0'),
    (71, 9, 'Grilled Chives', '烤韭菜', 1000, None, 'SP0'),
    (72, 9, 'Grilled Bun Slices', '烤馒头片', 800, None, ''),
]

# Catalog products of Freshway Supermarket (7) and Kangjian Pharmacy (8) whose name finds them first
# in both languages: (product id, merchant, English, Chinese, [(variant id, English, Chinese, price, stock)]).
PRODUCT_ROWS = [
    (2, 7, 'Senchen Toddler Milk', '森晨成长奶粉', [(2, '500 g', '500克', 54580, 311), (3, '1 kg', '1千克', 97020, 416)]),
    (3, 7, 'Gufeng Butter Cookies', '谷枫黄油曲奇', [(4, '500 g', '500克', 9430, 292)]),
    (4, 7, 'Gufeng Jasmine Rice', '谷枫香米', [(5, '250 g', '250克', 7640, 400), (6, '500 g', '500克', 13750, 436), (7, '1 kg', '1千克', 24450, 255)]),
    (5, 7, 'Zhoushan Premium Drip Coffee Bags', '舟山优选挂耳咖啡', [(8, '500 g', '500克', 13500, 186), (9, '1 kg', '1千克', 24000, 139)]),
    (6, 7, 'Zhoushan Cheese Slices', '舟山芝士片', [(10, '1 L', '1升', 12570, 333)]),
    (7, 7, 'Chenxi Classic Green Tea Drink', '晨溪经典绿茶饮料', [(11, 'Pack of 24', '24件装', 10920, 397)]),
    (8, 7, 'Weigu Family Size Coconut Water', '蔚谷家庭装椰子水', [(12, 'Pack of 6', '6件装', 3080, 84), (13, 'Pack of 24', '24件装', 11550, 284)]),
    (10, 7, "Pu'er Tea", '普洱茶', [(16, '250 g', '250克', 16400, 492), (17, '500 g', '500克', 29520, 290), (18, '1 kg', '1千克', 52480, 145)]),
    (11, 7, 'Family Size Instant Coffee', '家庭装速溶咖啡', [(19, '250 g', '250克', 17150, 290)]),
    (12, 7, 'Weigu Organic Greek Yogurt', '蔚谷有机希腊酸奶', [(20, '1 L', '1升', 6600, 469)]),
    (13, 7, 'Xingye Bananas', '星野香蕉', [(21, '500 g', '500克', 8100, 382), (22, '1 kg', '1千克', 14400, 87)]),
    (14, 7, 'Xingwei Cutting Board', '星蔚砧板', [(23, 'White', '白色', 19580, 81), (24, 'Red', '红色', 19580, 324), (25, 'Green', '绿色', 19580, 236)]),
    (15, 7, 'Classic Longjing Green Tea', '经典龙井茶', [(26, '500 g', '500克', 20740, 143), (27, '1 kg', '1千克', 36860, 153)]),
    (16, 7, 'Chengqing Sensitive Baby Lotion', '橙青敏感肌婴儿润肤乳', [(28, 'Pack of 24', '24件装', 69720, 287)]),
    (17, 7, 'Qishan Sensitive Infant Formula', '栖山敏感肌婴儿配方奶粉', [(29, '500 g', '500克', 47030, 74), (30, '1 kg', '1千克', 83620, 385)]),
    (18, 7, 'Zhoushan Organic Cucumbers', '舟山有机黄瓜', [(31, '500 g', '500克', 1850, 109)]),
    (20, 7, 'Qishan Baby Wipes', '栖山婴儿湿巾', [(33, 'Pack of 24', '24件装', 118650, 123)]),
    (21, 7, 'Xingwei Compact Shoe Rack', '星蔚小巧鞋架', [(34, 'Pack of 24', '24件装', 374430, 356)]),
    (22, 7, 'Shanxi Peeled Shrimp', '山溪虾仁', [(35, '500 g', '500克', 25540, 231), (36, '1 kg', '1千克', 45410, 87)]),
    (23, 7, 'Weigu Crispy Cheese Slices', '蔚谷香脆芝士片', [(37, '1 L', '1升', 3750, 136)]),
    (25, 7, 'Chenxi Salmon Fillet', '晨溪三文鱼', [(39, '1 kg', '1千克', 19580, 270)]),
    (26, 7, 'Xifeng Classic Oat Milk', '溪枫经典燕麦奶', [(40, '500 ml', '500毫升', 8820, 449)]),
    (29, 7, 'Mushi Fresh Sunscreen Lotion', '木拾清爽防晒霜', [(45, '250 ml', '250毫升', 14070, 285), (46, '500 ml', '500毫升', 23920, 446), (47, '1 L', '1升', 42210, 64)]),
    (30, 7, 'Shanxi Fresh Green Tea Drink', '山溪鲜绿茶饮料', [(48, 'Pack of 24', '24件装', 12390, 191)]),
    (32, 7, 'Haiyao Clothes Hangers', '海遥衣架', [(50, 'Single', '单件装', 3740, 186), (51, 'Pack of 6', '6件装', 20940, 240), (52, 'Pack of 24', '24件装', 78540, 263)]),
    (33, 7, 'Chenxi Whole Milk', '晨溪全脂牛奶', [(53, '500 ml', '500毫升', 6950, 107), (54, '1 L', '1升', 12270, 313)]),
    (35, 7, 'Gufeng Cheese Slices', '谷枫芝士片', [(56, '1 L', '1升', 6540, 368)]),
    (36, 7, 'Ruixi Grain-free Dog Leash', '瑞溪无谷牵引绳', [(57, '1 kg', '1千克', 25380, 485)]),
    (37, 7, 'Yaoshan Grain-free Dog Food', '遥山无谷狗粮', [(58, '1 kg', '1千克', 45250, 266)]),
    (38, 7, 'Weigu Dried Noodles', '蔚谷挂面', [(59, '1 kg', '1千克', 2430, 351)]),
    (39, 7, 'Beef Steak', '牛排', [(60, '250 g', '250克', 6790, 119), (61, '500 g', '500克', 12220, 72), (62, '1 kg', '1千克', 21730, 500)]),
    (42, 8, 'Yuejin Pull-up Pants', '悦锦拉拉裤', [(65, 'Size L', 'L码', 14450, 330), (66, 'Size XL', 'XL码', 15140, 1)]),
    (43, 8, 'Nuangu Oral Rehydration Salts', '暖谷口服补液盐', [(67, '12 tablets', '12片装', 5860, 411), (68, '24 tablets', '24片装', 10550, 492)]),
    (44, 8, 'Luyun Gentle Hair Oil', '鹿云温和护发精油', [(69, '1 L', '1升', 37470, 389)]),
    (45, 8, 'Gentle Throat Lozenges', '温和型润喉片', [(70, '48 tablets', '48片装', 15740, 397)]),
    (46, 8, "Yuanjing Kids' Antacid Tablets", '源鲸儿童胃药', [(71, '48 tablets', '48片装', 6570, 314)]),
    (47, 8, 'Sensitive Infant Formula', '敏感肌婴儿配方奶粉', [(72, '250 g', '250克', 14850, 196)]),
    (49, 8, 'Luyun Repair Sheet Masks', '鹿云修护面膜', [(74, '1 L', '1升', 93900, 189)]),
    (50, 8, 'Zhufeng Oral Rehydration Salts', '竹枫口服补液盐', [(75, '12 tablets', '12片装', 2520, 357), (76, '24 tablets', '24片装', 4540, 174), (77, '48 tablets', '48片装', 8320, 206)]),
    (51, 8, "Yefeng Kids' Probiotics", '野枫儿童益生菌', [(78, '24 tablets', '24片装', 5580, 50)]),
    (54, 8, 'Jilu KN95 Masks', '集鹿KN95口罩', [(82, 'Pack of 6', '6件装', 25030, 17)]),
    (55, 8, 'Jingqing Diapers', '鲸青纸尿裤', [(83, 'Size XL', 'XL码', 17810, 190)]),
    (56, 8, 'Yuanjing Surgical Masks', '源鲸医用外科口罩', [(84, 'Single', '单件装', 1890, 450), (85, 'Pack of 6', '6件装', 10580, 42)]),
    (57, 8, 'Chengyou Extra Strength Cold Relief Granules', '橙柚加强型感冒灵颗粒', [(86, '48 tablets', '48片装', 10730, 414)]),
    (58, 8, 'Zhufeng Daily Calcium and D3', '竹枫日常钙维D3', [(87, '48 tablets', '48片装', 27820, 188)]),
    (59, 8, 'Yefeng Vitamin C Tablets', '野枫维生素C片', [(88, '12 tablets', '12片装', 15790, 181), (89, '24 tablets', '24片装', 28420, 346)]),
    (60, 8, 'Senshi Fresh Mouthwash', '森拾清爽漱口水', [(90, 'Pack of 6', '6件装', 65300, 467), (91, 'Pack of 24', '24件装', 244860, 499)]),
]

# Places whose name finds them (nearby_places near=NAME gives them first, 0 m) in both languages:
# id -> (kind, English, Chinese, cuisine, lat, lon, hours 'WEEKDAYS:OPEN-CLOSE ...;...' in minutes (Monday 0; none: always open), largest table,
# hotel room types [(id, English, Chinese, beds, max guests, price per night)]).
PLACE_ROWS = [
    (1, 'cafe', 'Luna Café', '露娜咖啡', None, 30.25594, 120.16375, '0123456:450-1260', None, []),
    (2, 'cafe', 'Manner Coffee', 'Manner咖啡', None, 30.25432, 120.16437, '0123456:420-1200', None, []),
    (3, 'office', 'Lakeside Tower', '湖滨大厦', None, 30.25540, 120.16312, '01234:480-1200', None, []),
    (4, 'residence', 'Willow Bank Residences', '柳岸花园', None, 30.24191, 120.15271, '', None, []),
    (5, 'restaurant', 'Shu Flavour Sichuan Kitchen', '蜀味川菜馆', 'sichuan', 30.24263, 120.15355, '0123456:660-840 1020-1290', 8, []),
    (6, 'tea', 'Cloud Nine Tea', '云朵茶饮', None, 30.25630, 120.16208, '0123456:600-1500', None, []),
    (7, 'tea', 'Jade Leaf Tea House', '玉叶茶馆', None, 30.24137, 120.15375, '0123456:600-1500', None, []),
    (8, 'restaurant', 'Moonlight Noodle House', '月光面馆', 'noodles', 30.25468, 120.16187, '0123456:390-1230', 10, []),
    (9, 'supermarket', 'Freshway Supermarket', '鲜道超市', None, 30.24101, 120.15167, '', None, []),
    (10, 'pharmacy', 'Kangjian Pharmacy', '康健大药房', None, 30.24236, 120.15146, '', None, []),
    (11, 'hotel', 'Lakeview Hotel', '湖景酒店', None, 30.25180, 120.15688, '', None, [(1, 'Standard Queen Room', '标准大床房', 1, 2, 46800), (2, 'Twin Room', '标准双床房', 2, 2, 49800), (3, 'Deluxe King Room', '豪华大床房', 1, 2, 75000), (4, 'Family Suite', '家庭套房', 2, 4, 86200)]),
    (12, 'station', 'City Railway Station', '城站火车站', None, 30.24730, 120.16937, '0123456:330-1410', None, []),
    (13, 'airport', 'Eastlake International Airport', '东湖国际机场', None, 30.25067, 120.23938, '', None, []),
    (14, 'residence', 'Osmanthus Court', '桂花苑', None, 30.25270, 120.17145, '', None, []),
    (15, 'office', 'Riverside Science Park', '江畔科技园', None, 30.24550, 120.17353, '01234:480-1200', None, []),
    (16, 'cinema', 'Golden Reel Cinema', '金胶片影城', None, 30.25090, 120.16104, '0123456:600-1500', None, []),
    (17, 'sight', 'City History Museum', '城市历史博物馆', None, 30.24910, 120.15479, '123456:540-1020', None, []),
    (18, 'restaurant', 'Night Owl BBQ', '夜猫子烧烤', 'bbq', 30.25585, 120.16521, '0123456:1020-1620', 10, []),
    (19, 'sight', 'Golden Carp Park', '金鲤公园', None, 30.22980, 120.17702, '0123456:360-1320', None, []),
    (21, 'sight', 'Cedar Park', '雪松公园', None, 30.23112, 120.17718, '0123456:360-1320', None, []),
    (22, 'sight', 'Orbit Park', '轨道公园', None, 30.23381, 120.14761, '0123456:360-1320', None, []),
    (23, 'sight', 'Morning Park', '晨光公园', None, 30.23383, 120.16001, '0123456:360-1320', None, []),
    (24, 'sight', 'Amber Park', '琥珀公园', None, 30.23516, 120.13666, '0123456:360-1320', None, []),
    (25, 'sight', 'Riverbank Park', '河畔公园', None, 30.23508, 120.17577, '0123456:360-1320', None, []),
    (28, 'sight', 'Green Plum Park', '青梅公园', None, 30.24190, 120.17719, '0123456:360-1320', None, []),
    (29, 'sight', 'Happy Panda Park', '熊猫公园', None, 30.24335, 120.14277, '0123456:360-1320', None, []),
    (31, 'sight', 'Green Bamboo Park', '翠竹公园', None, 30.24324, 120.16777, '0123456:360-1320', None, []),
    (32, 'sight', 'Mulberry Park', '桑葚公园', None, 30.24593, 120.13513, '0123456:360-1320', None, []),
    (33, 'sight', 'Harbor Park', '港湾公园', None, 30.24602, 120.15060, '0123456:360-1320', None, []),
    (34, 'sight', 'Maple Park', '枫叶公园', None, 30.24848, 120.16618, '0123456:360-1320', None, []),
    (35, 'sight', 'Blue Whale Park', '蓝鲸公园', None, 30.25003, 120.14915, '0123456:360-1320', None, []),
    (36, 'sight', 'Swallow Park', '燕子公园', None, 30.25399, 120.14600, '0123456:360-1320', None, []),
    (37, 'sight', 'Old Well Park', '老井公园', None, 30.25675, 120.14913, '0123456:360-1320', None, []),
    (39, 'sight', 'Mellow Park', '醇香公园', None, 30.26350, 120.17875, '0123456:360-1320', None, []),
    (40, 'sight', 'Hummingbird Park', '蜂鸟公园', None, 30.26475, 120.13665, '0123456:360-1320', None, []),
    (42, 'sight', 'Lantern Park', '灯笼公园', None, 30.27017, 120.17406, '0123456:360-1320', None, []),
    (43, 'restaurant', 'Red Lantern Cantonese Restaurant (Dragon Well Road)', '红灯笼粤菜馆（龙井路店）', 'cantonese', 30.25058, 120.15340, '123456:660-840 1020-1290', 8, []),
    (45, 'restaurant', 'Corner Hangzhou Kitchen', '转角杭帮菜馆', 'hangzhou', 30.26284, 120.16748, '0123456:660-840 1020-1290', 10, []),
    (47, 'restaurant', 'Riverbank Noodle House', '河畔面馆', 'noodles', 30.24224, 120.16819, '0123456:390-1200', 6, []),
    (61, 'restaurant', 'Mountain View Noodle House', '望山面馆', 'noodles', 30.27271, 120.18461, '0123456:390-1200', 10, []),
    (72, 'cinema', 'Corner Cinema', '转角影城', None, 30.23454, 120.14442, '0123456:600-1500', None, []),
    (77, 'restaurant', 'Happy Panda Cantonese Restaurant', '熊猫粤菜馆', 'cantonese', 30.25722, 120.15154, '123456:660-840 1020-1290', 10, []),
    (86, 'cinema', 'Orbit Cinema', '轨道影城', None, 30.25579, 120.16766, '0123456:600-1500', None, []),
    (89, 'sight', 'North Star Old Street', '北极星老街', None, 30.25619, 120.13822, '123456:540-1020', None, []),
    (91, 'restaurant', 'Ginkgo Noodle House (Phoenix Road)', '银杏面馆（凤凰路店）', 'noodles', 30.24932, 120.15284, '0123456:390-1200', 6, []),
    (93, 'sight', 'Little Fox Museum', '小狐狸博物馆', None, 30.25555, 120.15518, '0123456:480-1080', None, []),
    (98, 'restaurant', 'Rabbit Noodle House (Prosperity Road)', '玉兔面馆（兴盛路店）', 'noodles', 30.25819, 120.16502, '0123456:390-1200', 8, []),
    (101, 'restaurant', 'Copper Pot Cantonese Restaurant (Orchid Pavilion Road)', '铜壶粤菜馆（兰亭路店）', 'cantonese', 30.23613, 120.17743, '123456:660-840 1020-1290', 10, []),
    (102, 'hotel', 'Amber Inn (Cypress Road)', '琥珀客栈（柏树路店）', None, 30.23823, 120.16407, '', None, [(5, 'Standard Queen Room', '标准大床房', 1, 2, 43000), (6, 'Twin Room', '标准双床房', 2, 2, 48300), (7, 'Deluxe King Room', '豪华大床房', 1, 2, 75000)]),
    (111, 'hotel', 'Harbor Hotel (Cypress Road)', '港湾酒店（柏树路店）', None, 30.23887, 120.17073, '', None, [(8, 'Standard Queen Room', '标准大床房', 1, 2, 61300), (9, 'Twin Room', '标准双床房', 2, 2, 61100), (10, 'Deluxe King Room', '豪华大床房', 1, 2, 72400)]),
    (113, 'restaurant', 'Koi BBQ (Camellia Road)', '锦鲤烧烤（茶花路店）', 'bbq', 30.23979, 120.15731, '0123456:1020-1620', 10, []),
    (119, 'restaurant', 'Velvet Noodle House (Silk Road)', '丝绒面馆（丝绸路店）', 'noodles', 30.27150, 120.16220, '0123456:390-1200', 6, []),
    (126, 'restaurant', 'Red Lantern Sichuan Kitchen (Pine Ridge Road)', '红灯笼川菜馆（松岭路店）', 'sichuan', 30.23770, 120.17492, '0123456:660-840 1020-1290', 10, []),
    (127, 'restaurant', 'Paper Crane BBQ (Canal Road)', '纸鹤烧烤（运河路店）', 'bbq', 30.27188, 120.17401, '0123456:1020-1620', 10, []),
    (128, 'station', 'Autumn Tide Road Bus Terminal', '秋涛路公交总站', None, 30.24851, 120.14237, '0123456:330-1410', None, []),
    (129, 'cinema', 'Mellow Film Center', '醇香电影中心', None, 30.24560, 120.15612, '0123456:600-1500', None, []),
    (134, 'restaurant', 'Maple Cantonese Restaurant', '枫叶粤菜馆', 'cantonese', 30.24905, 120.15296, '123456:660-840 1020-1290', 8, []),
    (153, 'cinema', 'Lantern Film Center', '灯笼电影中心', None, 30.23242, 120.13892, '0123456:600-1500', None, []),
    (154, 'restaurant', 'Sunny Noodle House', '晴天面馆', 'noodles', 30.22681, 120.18652, '0123456:390-1200', 8, []),
    (155, 'hotel', 'Mountain View Inn (Lakeshore Road)', '望山客栈（湖滨路店）', None, 30.26409, 120.15767, '', None, [(15, 'Standard Queen Room', '标准大床房', 1, 2, 40600), (16, 'Twin Room', '标准双床房', 2, 2, 45400), (17, 'Deluxe King Room', '豪华大床房', 1, 2, 56800), (18, 'Family Suite', '家庭套房', 2, 4, 80600)]),
    (157, 'restaurant', 'Harvest Sichuan Kitchen (Sunrise Road)', '丰收川菜馆（东升路店）', 'sichuan', 30.25598, 120.16315, '123456:660-840 1020-1290', 8, []),
    (160, 'hotel', 'Cloud Suites (Spring Light Avenue)', '云朵公寓酒店（春晖大道店）', None, 30.24710, 120.17643, '', None, [(19, 'Standard Queen Room', '标准大床房', 1, 2, 50100), (20, 'Twin Room', '标准双床房', 2, 2, 50300), (21, 'Deluxe King Room', '豪华大床房', 1, 2, 64800)]),
    (165, 'restaurant', 'Koi Dumpling House', '锦鲤饺子馆', 'dumplings', 30.24582, 120.16917, '0123456:390-1200', 10, []),
    (166, 'restaurant', 'Daisy Sichuan Kitchen (Moonview Road)', '雏菊川菜馆（望月路店）', 'sichuan', 30.25513, 120.16079, '0123456:660-840 1020-1290', 10, []),
    (168, 'restaurant', 'Wild Goose Noodle House (Camellia Road)', '鸿雁面馆（茶花路店）', 'noodles', 30.24011, 120.16286, '0123456:390-1200', 10, []),
    (179, 'restaurant', 'Rabbit Dumpling House', '玉兔饺子馆', 'dumplings', 30.27339, 120.18038, '0123456:390-1200', 8, []),
    (180, 'restaurant', 'Old Well BBQ', '老井烧烤', 'bbq', 30.24392, 120.17324, '0123456:1020-1620', 10, []),
    (183, 'cinema', 'Blue Whale Film Center', '蓝鲸电影中心', None, 30.25112, 120.15003, '0123456:600-1500', None, []),
    (189, 'hotel', 'Daisy Suites (Plum Garden Road)', '雏菊公寓酒店（梅园路店）', None, 30.23486, 120.18401, '', None, [(25, 'Standard Queen Room', '标准大床房', 1, 2, 44900), (26, 'Twin Room', '标准双床房', 2, 2, 53900)]),
    (190, 'restaurant', 'Chestnut Japanese Kitchen', '栗子日料', 'japanese', 30.25747, 120.15106, '0123456:660-840 1020-1290', 6, []),
    (201, 'restaurant', 'Corner BBQ (Garden Road)', '转角烧烤（花园路店）', 'bbq', 30.26325, 120.14929, '0123456:1020-1620', 10, []),
    (207, 'restaurant', 'Pebble Cantonese Restaurant', '鹅卵石粤菜馆', 'cantonese', 30.24961, 120.16531, '0123456:660-840 1020-1290', 10, []),
    (213, 'hotel', 'Velvet Suites (Garden Road)', '丝绒公寓酒店（花园路店）', None, 30.26245, 120.16161, '', None, [(27, 'Standard Queen Room', '标准大床房', 1, 2, 53500), (28, 'Twin Room', '标准双床房', 2, 2, 62300), (29, 'Deluxe King Room', '豪华大床房', 1, 2, 73200)]),
    (214, 'restaurant', 'Green Bamboo Japanese Kitchen (Camellia Road)', '翠竹日料（茶花路店）', 'japanese', 30.24038, 120.14509, '0123456:660-840 1020-1290', 6, []),
    (215, 'restaurant', 'Hummingbird Vegetarian Kitchen', '蜂鸟素食馆', 'vegetarian', 30.24954, 120.13776, '123456:660-840 1020-1290', 10, []),
    (217, 'restaurant', 'Snowflake Hotpot (Pearl Road)', '雪花火锅（明珠路店）', 'hotpot', 30.24269, 120.14818, '0123456:660-1560', 10, []),
    (218, 'hotel', 'Velvet Hotel (Riverside Road)', '丝绒酒店（江滨路店）', None, 30.26562, 120.17607, '', None, [(30, 'Standard Queen Room', '标准大床房', 1, 2, 50100), (31, 'Twin Room', '标准双床房', 2, 2, 56000), (32, 'Deluxe King Room', '豪华大床房', 1, 2, 72900)]),
    (224, 'hotel', 'Swallow Garden Hotel (Hillfront Road)', '燕子花园酒店（山前路店）', None, 30.26637, 120.18625, '', None, [(33, 'Standard Queen Room', '标准大床房', 1, 2, 55700), (34, 'Twin Room', '标准双床房', 2, 2, 56300), (35, 'Deluxe King Room', '豪华大床房', 1, 2, 82700)]),
    (230, 'restaurant', 'Golden Carp Dumpling House (Tea Garden Road)', '金鲤饺子馆（茶园路店）', 'dumplings', 30.26965, 120.16091, '0123456:390-1200', 10, []),
    (232, 'cinema', 'Mountain View Film Center', '望山电影中心', None, 30.24182, 120.15189, '0123456:600-1500', None, []),
    (236, 'restaurant', 'Wild Goose Bistro (Garden Road)', '鸿雁西餐厅（花园路店）', 'western', 30.26309, 120.13631, '123456:660-840 1020-1290', 6, []),
    (241, 'sight', 'Copper Pot Garden', '铜壶园', None, 30.25157, 120.13537, '123456:540-1020', None, []),
    (257, 'restaurant', 'Compass Vegetarian Kitchen (Jade Spring Road)', '罗盘素食馆（玉泉路店）', 'vegetarian', 30.24091, 120.15357, '123456:660-840 1020-1290', 4, []),
    (273, 'restaurant', 'Copper Pot Dumpling House (Autumn Tide Road)', '铜壶饺子馆（秋涛路店）', 'dumplings', 30.24820, 120.16144, '0123456:390-1200', 8, []),
    (286, 'restaurant', 'Happy Panda Noodle House (Peace Road)', '熊猫面馆（和平路店）', 'noodles', 30.25708, 120.15861, '0123456:390-1200', 10, []),
    (289, 'sight', 'Paper Crane Museum', '纸鹤博物馆', None, 30.26982, 120.16681, '0123456:480-1080', None, []),
    (290, 'hotel', 'Little Fox Suites (Spring Light Avenue)', '小狐狸公寓酒店（春晖大道店）', None, 30.24696, 120.16055, '', None, [(36, 'Standard Queen Room', '标准大床房', 1, 2, 51300), (37, 'Twin Room', '标准双床房', 2, 2, 62900), (38, 'Deluxe King Room', '豪华大床房', 1, 2, 75500), (39, 'Family Suite', '家庭套房', 2, 4, 118400)]),
    (295, 'restaurant', 'Amber Dumpling House', '琥珀饺子馆', 'dumplings', 30.26936, 120.15778, '0123456:390-1200', 10, []),
    (304, 'station', 'Pine Ridge Road Metro Station', '松岭路地铁站', None, 30.23784, 120.15023, '0123456:330-1410', None, []),
    (313, 'restaurant', 'Green Plum Hangzhou Kitchen (Silk Road)', '青梅杭帮菜馆（丝绸路店）', 'hangzhou', 30.27109, 120.18059, '0123456:660-840 1020-1290', 8, []),
    (321, 'restaurant', 'Hummingbird Hangzhou Kitchen', '蜂鸟杭帮菜馆', 'hangzhou', 30.26626, 120.14434, '0123456:660-840 1020-1290', 6, []),
    (322, 'restaurant', 'Cloud Sichuan Kitchen', '云朵川菜馆', 'sichuan', 30.26911, 120.17148, '123456:660-840 1020-1290', 10, []),
    (330, 'hotel', 'Cloud Garden Hotel (Pearl Road)', '云朵花园酒店（明珠路店）', None, 30.24206, 120.15382, '', None, [(40, 'Standard Queen Room', '标准大床房', 1, 2, 59600), (41, 'Twin Room', '标准双床房', 2, 2, 63500)]),
    (336, 'restaurant', 'Mountain View Bistro (Lakeshore Road)', '望山西餐厅（湖滨路店）', 'western', 30.26401, 120.14739, '0123456:660-840 1020-1290', 10, []),
    (339, 'sight', 'Cloud Art Gallery', '云朵美术馆', None, 30.25619, 120.17758, '0123456:480-1080', None, []),
    (340, 'hotel', 'Corner Hotel (Pine Ridge Road)', '转角酒店（松岭路店）', None, 30.23646, 120.18601, '', None, [(42, 'Standard Queen Room', '标准大床房', 1, 2, 51800), (43, 'Twin Room', '标准双床房', 2, 2, 60500), (44, 'Deluxe King Room', '豪华大床房', 1, 2, 85900)]),
    (345, 'sight', 'Mulberry Old Street', '桑葚老街', None, 30.23983, 120.17169, '123456:540-1020', None, []),
    (370, 'restaurant', 'Orbit Cantonese Restaurant (Pearl Road)', '轨道粤菜馆（明珠路店）', 'cantonese', 30.24249, 120.18428, '0123456:660-840 1020-1290', 10, []),
]

# Generated merchants whose name finds them first (search_merchants query=NAME), for menus and
# prices: (merchant id, kind, English, Chinese).
OTHER_MERCHANT_ROWS = [
    (10, 'restaurant', 'Red Lantern Cantonese Restaurant', '红灯笼粤菜馆'),
    (17, 'restaurant', 'Jasmine Dumpling House', '茉莉饺子馆'),
    (28, 'tea', 'North Star Fruit Tea', '北极星果茶'),
    (32, 'cafe', 'Compass Coffee Lab', '罗盘咖啡实验室'),
    (33, 'restaurant', 'Ginkgo Noodle House', '银杏面馆'),
    (34, 'restaurant', 'Corner Japanese Kitchen', '转角日料'),
    (36, 'tea', 'Koi Fruit Tea', '锦鲤果茶'),
    (38, 'restaurant', 'Rabbit Noodle House', '玉兔面馆'),
    (39, 'cafe', 'Copper Pot Espresso Bar', '铜壶意式咖啡吧'),
    (40, 'restaurant', 'Copper Pot Cantonese Restaurant', '铜壶粤菜馆'),
    (42, 'restaurant', 'Red Lantern Japanese Kitchen', '红灯笼日料'),
    (45, 'restaurant', 'Koi BBQ', '锦鲤烧烤'),
    (46, 'tea', 'Red Lantern Fruit Tea', '红灯笼果茶'),
    (53, 'restaurant', 'Red Lantern Sichuan Kitchen', '红灯笼川菜馆'),
    (54, 'restaurant', 'Paper Crane BBQ', '纸鹤烧烤'),
    (67, 'restaurant', 'Sunny Cantonese Restaurant', '晴天粤菜馆'),
    (68, 'cafe', 'Harvest Roasters', '丰收咖啡烘焙'),
    (69, 'restaurant', 'Harvest Sichuan Kitchen', '丰收川菜馆'),
    (75, 'restaurant', 'Daisy Sichuan Kitchen', '雏菊川菜馆'),
    (76, 'restaurant', 'Wild Goose Noodle House', '鸿雁面馆'),
    (82, 'restaurant', 'Koi Noodle House', '锦鲤面馆'),
    (84, 'cafe', 'Cedar Café', '雪松咖啡馆'),
    (85, 'cafe', 'Copper Pot Café', '铜壶咖啡馆'),
    (95, 'tea', 'Ginkgo Tea Lab', '银杏茶研所'),
    (98, 'restaurant', 'Mountain View Dumpling House', '望山饺子馆'),
    (99, 'restaurant', 'Green Bamboo Japanese Kitchen', '翠竹日料'),
    (100, 'restaurant', 'Snowflake Hotpot', '雪花火锅'),
    (115, 'restaurant', 'Blue Whale BBQ', '蓝鲸烧烤'),
    (118, 'cafe', 'Green Bamboo Coffee', '翠竹咖啡'),
    (119, 'restaurant', 'Chestnut BBQ', '栗子烧烤'),
]

# nearby_places kinds ('r:CUISINE' = restaurant of that cuisine) with at least one place within the
# default 1 km, per (user, near); near None = the user's default address (home).
NEARBY_KINDS = {
    ('A', 'Amber Inn'): 'cafe hotel pharmacy r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight supermarket tea',
    ('A', 'Amber Park'): 'cafe cinema pharmacy r:hangzhou r:hotpot r:japanese r:noodles r:sichuan restaurant sight supermarket',
    ('A', 'Autumn Tide Road Bus Terminal'): 'cafe cinema hotel pharmacy r:bbq r:hangzhou r:hotpot r:japanese r:sichuan r:vegetarian restaurant sight station supermarket',
    ('A', 'Blue Whale Film Center'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Blue Whale Park'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Cedar Park'): 'cafe hotel pharmacy r:bbq r:cantonese r:noodles r:sichuan r:vegetarian restaurant sight supermarket tea',
    ('A', 'City History Museum'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight supermarket tea',
    ('A', 'City Railway Station'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hotpot r:noodles restaurant sight station supermarket tea',
    ('A', 'Cloud Art Gallery'): 'cafe cinema pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:sichuan restaurant sight tea',
    ('A', 'Cloud Garden Hotel'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Cloud Nine Tea'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Cloud Suites'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:japanese r:noodles restaurant sight station supermarket tea',
    ('A', 'Copper Pot Garden'): 'cafe r:bbq r:hangzhou r:japanese r:vegetarian restaurant sight station supermarket',
    ('A', 'Corner Cinema'): 'cafe cinema pharmacy r:bbq r:hangzhou r:hotpot r:japanese r:noodles r:sichuan restaurant sight station supermarket tea',
    ('A', 'Corner Hotel'): 'cafe hotel pharmacy r:bbq r:cantonese r:noodles r:vegetarian restaurant sight tea',
    ('A', 'Daisy Suites'): 'cafe hotel pharmacy r:bbq r:cantonese r:noodles r:sichuan r:vegetarian restaurant sight tea',
    ('A', 'Freshway Supermarket'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Golden Carp Park'): 'cafe hotel pharmacy r:cantonese r:noodles r:sichuan restaurant sight supermarket tea',
    ('A', 'Golden Reel Cinema'): 'cafe cinema hotel r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('A', 'Green Bamboo Park'): 'cafe hotel r:bbq r:cantonese r:dumplings r:noodles r:sichuan restaurant sight station supermarket tea',
    ('A', 'Green Plum Park'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Happy Panda Park'): 'cafe cinema pharmacy r:bbq r:hotpot r:japanese r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Harbor Hotel'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight station supermarket tea',
    ('A', 'Harbor Park'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Hummingbird Park'): 'cafe r:hangzhou r:hotpot r:japanese r:western restaurant sight supermarket tea',
    ('A', 'Jade Leaf Tea House'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Kangjian Pharmacy'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Lakeside Tower'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Lakeview Hotel'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Lantern Film Center'): 'cafe cinema pharmacy r:hangzhou r:hotpot r:noodles r:sichuan restaurant sight supermarket tea',
    ('A', 'Lantern Park'): 'cafe hotel r:bbq r:dumplings r:hangzhou r:hotpot r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Little Fox Museum'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Little Fox Suites'): 'cafe cinema hotel r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:noodles r:sichuan r:vegetarian r:western restaurant sight station supermarket tea',
    ('A', 'Luna Café'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Manner Coffee'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('A', 'Maple Park'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('A', 'Mellow Film Center'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight supermarket tea',
    ('A', 'Mellow Park'): 'cafe hotel r:bbq r:cantonese r:hangzhou r:hotpot r:noodles r:sichuan r:western restaurant sight supermarket',
    ('A', 'Moonlight Noodle House'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Morning Park'): 'cafe hotel pharmacy r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight supermarket tea',
    ('A', 'Mountain View Film Center'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Mountain View Inn'): 'cafe hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:japanese r:noodles r:sichuan r:western restaurant sight tea',
    ('A', 'Mulberry Old Street'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight station supermarket tea',
    ('A', 'Mulberry Park'): 'cafe r:japanese r:vegetarian restaurant sight station supermarket',
    ('A', 'Night Owl BBQ'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', None): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'North Star Old Street'): 'cafe hotel pharmacy r:bbq r:dumplings r:hangzhou r:hotpot r:japanese r:vegetarian r:western restaurant sight station supermarket tea',
    ('A', 'Old Well Park'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Orbit Cinema'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('A', 'Orbit Park'): 'cafe cinema pharmacy r:bbq r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Osmanthus Court'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('A', 'Paper Crane Museum'): 'cafe hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:noodles r:sichuan restaurant sight supermarket tea',
    ('A', 'Pine Ridge Road Metro Station'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Riverbank Park'): 'cafe hotel pharmacy r:bbq r:cantonese r:hotpot r:noodles r:sichuan r:vegetarian restaurant sight supermarket tea',
    ('A', 'Riverside Science Park'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight station supermarket tea',
    ('A', 'Shu Flavour Sichuan Kitchen'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Swallow Garden Hotel'): 'hotel r:dumplings r:hangzhou r:hotpot r:noodles r:western restaurant sight supermarket',
    ('A', 'Swallow Park'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'Velvet Hotel'): 'cafe hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('A', 'Velvet Suites'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:japanese r:noodles r:sichuan r:western restaurant sight tea',
    ('A', 'Willow Bank Residences'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'home'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:vegetarian restaurant sight station supermarket tea',
    ('A', 'office'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight supermarket tea',
    ('W', None): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('W', 'home'): 'cafe cinema hotel pharmacy r:bbq r:cantonese r:dumplings r:hangzhou r:hotpot r:japanese r:noodles r:sichuan r:western restaurant sight station supermarket tea',
    ('W', 'office'): 'cafe hotel r:bbq r:cantonese r:dumplings r:hotpot r:noodles r:sichuan restaurant sight station supermarket tea',
}

# ---- entities -------------------------------------------------------------------------------

DEFAULT_NOW = "2026-01-06T11:30"  # the runner's default (a Tuesday)


class Merchant:
    def __init__(self, mid, poi, en, zh, fee, min_order, aliases_en, aliases_zh):
        self.id, self.poi, self.en, self.zh = mid, poi, en, zh
        self.fee, self.min_order = fee, min_order
        self.aliases = {"en": aliases_en, "zh": aliases_zh}
        self.ho = False

    def name(self, lang):
        return self.en if lang == "en" else self.zh


# The landmark merchants (gen_suite.MERCHANTS: place, names, delivery fee, minimum order) and
# what users call them.
MERCHANT_ALIASES = {
    1: (["Luna Café", "Luna Cafe", "Luna", "luna cafe"], ["露娜咖啡", "露娜"]),
    2: (["Manner Coffee", "Manner", "manner"], ["Manner咖啡", "Manner", "manner咖啡"]),
    3: (["Shu Flavour Sichuan Kitchen", "Shu Flavour", "Shu Flavor"], ["蜀味川菜馆", "蜀味"]),
    4: (["Cloud Nine Tea", "Cloud Nine", "cloud nine"], ["云朵茶饮", "云朵"]),
    5: (["Jade Leaf Tea House", "Jade Leaf", "jade leaf"], ["玉叶茶馆", "玉叶"]),
    6: (["Moonlight Noodle House", "Moonlight", "moonlight noodles"], ["月光面馆", "月光"]),
    7: (["Freshway Supermarket", "Freshway", "freshway"], ["鲜道超市", "鲜道"]),
    8: (["Kangjian Pharmacy", "Kangjian", "kangjian pharmacy"], ["康健大药房", "康健药房", "康健"]),
    9: (["Night Owl BBQ", "Night Owl", "night owl bbq"], ["夜猫子烧烤", "夜猫子"]),
}
MERCHANTS = {mid: Merchant(mid, poi, en, zh, fee, mo, *MERCHANT_ALIASES[mid])
             for mid, (poi, en, zh, fee, mo) in gs.MERCHANTS.items()}


class Item:
    """A landmark menu item: options are named by their English name (unique within an item)."""

    def __init__(self, row):
        self.id, self.m, self.en, self.zh, self.price, self.stock, groups = row
        self.groups = [OPTION_GROUPS[g] for g in groups.split()]
        self.ho = self.en in HELDOUT_ITEMS

    def name(self, lang):
        return self.en if lang == "en" else self.zh

    def group_of(self, option):
        for g in self.groups:
            if option in [o[0] for o in g[3]]:
                return g
        raise KeyError((self.en, option))

    def zh_of(self, option):
        return [o[1] for o in self.group_of(option)[3] if o[0] == option][0]

    def resolve(self, chosen):
        """(options_en as the cart writes it, unit price) for chosen English option names."""
        names, price = [], self.price
        for key, least, _, options in self.groups:
            picked = [o for o in options if o[0] in chosen]
            if not picked and least >= 1:
                picked = [o for o in options if o[3]]
            for o in picked:
                names.append(o[0])
                price += o[2]
        return ", ".join(names), price

    def option_args(self, chosen, lang):
        """The options argument: the options' own names (English lower case, or Chinese), in
        the menu's group order."""
        out = []
        for _, _, _, options in self.groups:
            for o in options:
                if o[0] in chosen:
                    out.append(o[0].lower() if lang == "en" else o[1])
        return out

    def merged(self, before, change):
        """The choices after a refinement that names `change`: the groups it names are
        replaced, the others kept (update_cart_line's rule)."""
        touched = {self.group_of(c)[0] for c in change}
        return [c for c in before if self.group_of(c)[0] not in touched] + list(change)




class Product:
    def __init__(self, row):
        self.id, self.m, self.en, self.zh, variants = row
        self.variants = [dict(id=v[0], en=v[1], zh=v[2], price=v[3], stock=v[4]) for v in variants]
        self.ho = self.id in HELDOUT_PRODUCTS

    def name(self, lang):
        return self.en if lang == "en" else self.zh


class Place:
    def __init__(self, row):
        (self.id, self.kind, self.en, self.zh, self.cuisine, self.lat, self.lon, hours,
         self.max_table, rooms) = row
        # Names as the tools show them ("Harbor Hotel (Cypress Road)") and as users say them.
        self.full_en, self.full_zh = self.en, self.zh
        self.en, self.zh = self.en.split(" (")[0], self.zh.split("（")[0]
        self.hours = collections.defaultdict(list)  # weekday -> [(open, close)]
        self.always_open = not hours
        for part in hours.split(";") if hours else []:
            days, ranges = part.split(":")
            for d in days:
                for r in ranges.split():
                    a, b = r.split("-")
                    self.hours[int(d)].append((int(a), int(b)))
        self.rooms = [dict(id=r[0], en=r[1], zh=r[2], beds=r[3], max_guests=r[4], price=r[5])
                      for r in rooms]
        self.ho = self.id in HELDOUT_PLACES

    def name(self, lang):
        return self.en if lang == "en" else self.zh

    def full(self, lang):
        return self.full_en if lang == "en" else self.full_zh

    def open_at(self, when, margin=30):
        """Open at `when` (a datetime, city time) and for `margin` minutes more."""
        if self.always_open:
            return True
        minute = when.hour * 60 + when.minute
        day = when.weekday()
        for a, b in self.hours.get(day, []):
            if a <= minute and minute + margin <= b:
                return True
        for a, b in self.hours.get((day - 1) % 7, []):
            if b > 1440 and minute + 1440 + margin <= b:
                return True
        return False

    def bookable(self, day, minute):
        """A table booking at `minute` on weekday `day` fits in one opening range (2 hours)."""
        if self.always_open:
            return True
        return any(a <= minute and minute + 120 <= b for a, b in self.hours.get(day, []))


# Held-out entities: never in a training task.
HELDOUT_ITEMS = {"Cappuccino", "Cold Brew", "Taro Milk Tea", "Grape Cheese Tea",
                 "Yu-Shiang Shredded Pork", "Dan Dan Noodles", "Zhajiang Noodles", "Grilled Chives"}
HELDOUT_PRODUCTS = {5, 13, 22, 33, 43, 46, 56, 59}
HELDOUT_PLACES = {16, 19, 33, 36, 86, 93, 128, 153, 241, 339,  # sights, cinemas, a station
                  43, 77, 113, 157, 166, 190, 214, 217, 257, 313,  # restaurants
                  111, 155, 330}  # hotels
HELDOUT_MERCHANTS = {10, 32, 45, 68, 69, 75, 84, 99, 100}
HELDOUT_TOPUPS = {300, 250, 1500, 80, 666}  # yuan


def heldout_table(party, time):
    """Party size and time combinations kept for the held-out split."""
    return (party * 7 + int(time[:2]) * 3 + int(time[3:]) // 30) % 5 == 0


ITEMS = {row[0]: Item(row) for row in ITEM_ROWS}
PRODUCTS = [Product(row) for row in PRODUCT_ROWS]
PLACES = {row[0]: Place(row) for row in PLACE_ROWS}
for _m in MERCHANTS.values():
    _m.place = PLACES[_m.poi]


class OtherMerchant:
    def __init__(self, row):
        self.id, self.kind, self.en, self.zh = row
        self.ho = self.id in HELDOUT_MERCHANTS
        self.aliases = {"en": [self.en], "zh": [self.zh]}

    def name(self, lang):
        return self.en if lang == "en" else self.zh


OTHER_MERCHANTS = [OtherMerchant(row) for row in OTHER_MERCHANT_ROWS]
for _m in MERCHANTS.values():
    _m.ho = False

# Merchants whose items are the counterpart of another's (same menu): "switch to Manner".
TWIN = {1: 2, 2: 1, 4: 5, 5: 4}


def twin_item(item):
    """The same item at the twin merchant, or None."""
    other = TWIN.get(item.m)
    if other is None:
        return None
    for it in ITEMS.values():
        if it.m == other and it.en == item.en:
            return it
    return None


# search_merchants(query=ITEM, near=LABEL) finds the item's merchant first for Alice: her office
# is next to Luna Café, Cloud Nine Tea, Moonlight Noodle House and Night Owl BBQ; her home next
# to the Sichuan kitchen and Jade Leaf Tea House (checked against the seed).
NEAREST = {"office": {1, 4, 6, 9}, "home": {3, 5}}


# ---- words ----------------------------------------------------------------------------------

QTY_EN = {1: ["a", "one", "1"], 2: ["two", "2"], 3: ["three", "3"], 4: ["four", "4"],
          5: ["five", "5"], 6: ["six", "6"]}
QTY_ZH = {1: ["一", "1"], 2: ["两", "2"], 3: ["三", "3"], 4: ["四", "4"], 5: ["五", "5"],
          6: ["六", "6"]}
NUM_WORD_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
               8: "eight", 9: "nine", 10: "ten", 12: "twelve"}
NUM_WORD_ZH = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九",
               10: "十", 11: "十一", 12: "十二"}

# What users call the options, by (group key, English option name) and by Chinese name. The
# arguments are always the options' own names (Item.option_args).
OPT_EN = {
    ("size", "Medium"): ["medium"], ("size", "Large"): ["large", "big"],
    ("size", "Small"): ["small"], ("size", "Regular"): ["regular", "regular-size"],
    ("temperature", "Hot"): ["hot"], ("temperature", "Iced"): ["iced", "cold"],
    ("ice", "Regular ice"): ["regular ice", "normal ice"],
    ("ice", "Less ice"): ["less ice", "light ice"], ("ice", "No ice"): ["no ice", "zero ice"],
    ("ice", "Hot"): ["hot"], ("ice", "Warm"): ["warm"],
    ("sugar", "No added sugar"): ["no added sugar", "unsweetened"],
    ("sugar", "Less sugar"): ["less sugar", "less sweet"],
    ("sugar", "Regular sugar"): ["regular sugar", "normal sugar"],
    ("sugar", "Half sugar"): ["half sugar", "50% sugar"],
    ("sugar", "Light sugar"): ["light sugar", "30% sugar"],
    ("sugar", "No sugar"): ["no sugar", "sugar-free"],
    ("milk", "Whole milk"): ["whole milk"], ("milk", "Skim milk"): ["skim milk", "skimmed milk"],
    ("milk", "Oat milk"): ["oat milk"], ("milk", "Soy milk"): ["soy milk"],
    ("extra", "Extra shot"): ["an extra shot", "extra shot"],
    ("extra", "Vanilla syrup"): ["vanilla syrup"], ("extra", "Caramel syrup"): ["caramel syrup"],
    ("extra", "Pearls"): ["pearls", "boba"], ("extra", "Coconut jelly"): ["coconut jelly"],
    ("extra", "Pudding"): ["pudding"], ("extra", "Grass jelly"): ["grass jelly"],
    ("extra", "Red bean"): ["red bean"], ("extra", "Cheese foam"): ["cheese foam"],
    ("extra", "Fried egg"): ["a fried egg", "fried egg"], ("extra", "Extra beef"): ["extra beef"],
    ("extra", "Extra noodles"): ["extra noodles"], ("extra", "Bok choy"): ["bok choy"],
    ("spice", "Not spicy"): ["not spicy", "no chili", "non-spicy"],
    ("spice", "Mild"): ["mild", "mildly spicy"],
    ("spice", "Medium"): ["medium spicy", "medium spice"],
    ("spice", "Extra hot"): ["extra hot", "extra spicy", "very spicy"],
}
OPT_ZH = {
    "中杯": ["中杯"], "大杯": ["大杯"], "小份": ["小份"], "中份": ["中份"], "大份": ["大份"],
    "标准份": ["标准份"], "热": ["热", "热的"], "冰": ["冰", "冰的"], "温": ["温", "温的"],
    "正常冰": ["正常冰"], "少冰": ["少冰", "少点冰"], "去冰": ["去冰", "不要冰"],
    "不另外加糖": ["不另外加糖"], "少糖": ["少糖", "少点糖"], "标准糖": ["标准糖", "正常糖"],
    "半糖": ["半糖", "五分糖"], "微糖": ["微糖", "三分糖"], "不加糖": ["不加糖", "无糖"],
    "全脂牛奶": ["全脂牛奶"], "脱脂牛奶": ["脱脂牛奶", "脱脂奶"], "燕麦奶": ["燕麦奶", "换燕麦奶"],
    "豆奶": ["豆奶", "换豆奶"], "加一份浓缩": ["加一份浓缩", "加个shot"],
    "香草糖浆": ["加香草糖浆", "香草糖浆"], "焦糖糖浆": ["加焦糖糖浆", "焦糖糖浆"],
    "珍珠": ["加珍珠"], "椰果": ["加椰果"], "布丁": ["加布丁"], "仙草": ["加仙草"],
    "红豆": ["加红豆"], "芝士奶盖": ["加芝士奶盖", "加奶盖"], "加煎蛋": ["加煎蛋", "加个煎蛋"],
    "加牛肉": ["加牛肉"], "加面": ["加面"], "加青菜": ["加青菜"], "不辣": ["不辣", "不要辣"],
    "微辣": ["微辣"], "中辣": ["中辣"], "特辣": ["特辣", "超辣"],
}
PRE_EN = {"size", "temperature"}  # option words that go before the item ("two large ...")

ITEM_EN = {
    "Americano": ["americano"], "Pearl Milk Tea": ["pearl milk tea", "boba milk tea"],
    "Xiaolongbao": ["xiaolongbao", "soup dumplings"], "Steamed Rice": ["steamed rice", "rice"],
    "Boiled Fish in Chili Oil": ["boiled fish in chili oil", "boiled fish"],
    "Basque Cheesecake": ["basque cheesecake", "Basque cheesecake"],
    "Ham and Cheese Sandwich": ["ham and cheese sandwich", "ham & cheese sandwich"],
    "Dan Dan Noodles": ["dan dan noodles", "dandan noodles"],
    "Pian'er Chuan Noodles": ["pian'er chuan noodles", "pian'er chuan"],
    "Yu-Shiang Shredded Pork": ["yu-shiang shredded pork", "yuxiang shredded pork"],
    "Twice-Cooked Pork": ["twice-cooked pork", "twice cooked pork"],
    "Dry-Fried Green Beans": ["dry-fried green beans", "dry fried green beans"],
    "Brown Sugar Boba Milk": ["brown sugar boba milk", "brown sugar boba"],
    "Hot and Sour Potato Shreds": ["hot and sour potato shreds", "hot & sour potato shreds"],
    "Scallion Oil Noodles": ["scallion oil noodles", "scallion noodles"],
    "Kung Pao Chicken": ["kung pao chicken", "kungpao chicken"],
    "Sour Plum Drink": ["sour plum drink", "sour plum juice"],
}
ITEM_ZH = {
    "美式咖啡": ["美式咖啡", "美式"], "珍珠奶茶": ["珍珠奶茶", "珍奶"], "冷萃咖啡": ["冷萃咖啡", "冷萃"],
    "巴斯克芝士蛋糕": ["巴斯克芝士蛋糕", "巴斯克蛋糕"], "火腿芝士三明治": ["火腿芝士三明治", "火腿三明治"],
    "红烧牛肉面": ["红烧牛肉面", "牛肉面"], "蒜蓉烤茄子": ["蒜蓉烤茄子", "烤茄子"],
    "黑糖珍珠鲜奶": ["黑糖珍珠鲜奶", "黑糖珍珠"], "小笼包": ["小笼包", "小笼"], "米饭": ["米饭", "白米饭"],
}
BOWL_ITEMS = {"Dan Dan Noodles", "Steamed Rice", "Beef Noodle Soup", "Pian'er Chuan Noodles",
              "Scallion Oil Noodles", "Zhajiang Noodles", "Hot and Sour Glass Noodles"}


def item_kind(item):
    """drink, cake, sandwich, dish, bowl, basket or skewer: what counts it."""
    if item.en in BOWL_ITEMS:
        return "bowl"
    if item.en == "Xiaolongbao":
        return "basket"
    if item.en == "Lamb Skewers":
        return "skewer"
    if item.en == "Basque Cheesecake":
        return "cake"
    if item.en == "Ham and Cheese Sandwich":
        return "sandwich"
    if item.m in (1, 2, 4, 5) or item.en in ("Sour Plum Drink", "Mango Pomelo Sago"):
        return "drink"
    return "dish"


UNIT_ZH = {"drink": ["杯"], "cake": ["块", "个"], "sandwich": ["个", "份"], "dish": ["份"],
           "bowl": ["碗", "份"], "basket": ["笼", "份"], "skewer": ["串", "份"]}
COUNTER_EN = {"dish": [("portion", "portions"), ("order", "orders"), ("plate", "plates")],
              "bowl": [("bowl", "bowls")], "basket": [("basket", "baskets")],
              "skewer": [("order", "orders"), ("portion", "portions")]}


def plural_en(name):
    if name.endswith("s"):
        return name
    if name.endswith("ch"):
        return name + "es"
    return name + "s"


def a_or_an(word):
    return "an" if word[:1].lower() in "aeiou" else "a"


def qty_en(rng, n, following):
    w = rng.choice(QTY_EN[n])
    return a_or_an(following) if w == "a" else w


def item_words_en(rng, item, n, chosen, alias=None):
    """"two large oat lattes with less ice" for an item, a quantity and English choices."""
    name = alias or rng.choice(ITEM_EN.get(item.en, [item.en.lower(), item.en.lower(), item.en]))
    pre, post, spicy = [], [], []
    for c in chosen:
        key = item.group_of(c)[0]
        word = rng.choice(OPT_EN[(key, c)])
        if key in PRE_EN or (key == "ice" and c in ("Hot", "Warm")):
            pre.append(word)
        elif key == "spice":
            spicy.append(word)
        else:
            post.append(word)
    kind = item_kind(item)
    counters = COUNTER_EN.get(kind)
    head = " ".join(pre + [name])
    if counters and rng.random() < 0.6:
        one, many = rng.choice(counters)
        counter = one if n == 1 else many
        text = "{} {} of {}".format(qty_en(rng, n, counter), counter, head)
    elif n == 1:
        text = "{} {}".format(qty_en(rng, n, head), head)
    elif counters:
        text = "{} {}".format(qty_en(rng, n, head), head)
    else:
        text = "{} {}".format(qty_en(rng, n, head), " ".join(pre + [plural_en(name)]))
    if rng.random() < 0.08 and not pre:
        text = "{} x{}".format(name, n)
    if post:
        text += rng.choice([" with ", ", "]) + rng.choice([" and ", ", "]).join(post)
    if spicy:
        text += ", " + " and ".join(spicy)
    return text


def zh_pre_ok(word):
    return not word.startswith(("加", "换")) and not word.endswith("的")


def item_words_zh(rng, item, n, chosen, mixed=False):
    """"两杯大杯少冰燕麦拿铁" and its orders for an item, a quantity and choices."""
    if mixed:
        name = rng.choice(ITEM_EN.get(item.en, [item.en.lower(), item.en]))
        name = " " + name + " "
    else:
        name = rng.choice(ITEM_ZH.get(item.zh, [item.zh]))
    words = [rng.choice(OPT_ZH[item.zh_of(c)]) for c in chosen]
    unit = rng.choice(UNIT_ZH[item_kind(item)])
    qty = rng.choice(QTY_ZH[n]) + unit
    all_pre = all(zh_pre_ok(w) for w in words)
    style = rng.randrange(4)
    if not words:
        text = rng.choice([qty + name, name + qty, qty + name])
    elif style == 0 and all_pre:
        text = qty + "".join(words) + name
    elif style == 1:
        text = name + qty + "，" + rng.choice(["", "、"]).join(words)
    elif style == 2 or not all_pre:
        text = qty + name + "，" + rng.choice(["", "，"]).join(words)
    else:
        text = "".join(words) + name + qty
    return re.sub(r"\s+", " ", text).strip().replace(" ，", "，")


def random_choices(rng, item, p=0.35, most=3):
    """English option names a user asks for: none, or a few groups changed from the default."""
    chosen = []
    for key, least, top, options in item.groups:
        if rng.random() >= p:
            continue
        if key == "extra":
            k = 2 if top >= 2 and rng.random() < 0.2 else 1
            chosen += [o[0] for o in rng.sample(options, k)]
        else:
            pool = [o[0] for o in options if not o[3]]
            if rng.random() < 0.06:
                pool = [o[0] for o in options if o[3]]
            chosen.append(rng.choice(pool))
    return chosen[:most]


# ---- noise ----------------------------------------------------------------------------------

NUMBER_WORDS = set(NUM_WORD_EN.values()) | {"a", "an"}


def typo(rng, text):
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5 and w.isascii()
           and w.lower() not in NUMBER_WORDS]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    elif kind == 1:
        w = w[:k] + w[k + 1:]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def noise_en(rng, text, polite=True, typos=True):
    r = rng.random()
    if polite and r < 0.10:
        text = rng.choice(["please ", "pls ", "hey, ", "hi, ", "ok ", "hey "]) + text
    elif polite and r < 0.22:
        text = text.rstrip(".!") + rng.choice([" please", " pls", ", thanks", " thx",
                                               ", thank you", " thanks!"])
    if typos and rng.random() < 0.08:
        text = typo(rng, text)
    r = rng.random()
    if r < 0.4:
        text = text[:1].upper() + text[1:]
    elif r < 0.47:
        text = text.lower()
    elif r < 0.49:
        text = text.upper()
    if not text.endswith(("?", "!", ".")):
        text += rng.choice(["", "", "", ".", "!"])
    return text


def noise_zh(rng, text, polite=True, typos=True):
    r = rng.random()
    if polite and r < 0.12 and not text.startswith(("请", "麻烦", "帮")):
        if text.startswith(("我", "有", "想", "要", "能", "哪")):
            text = rng.choice(["你好，", "嗯，", "那个，"]) + text
        else:
            text = rng.choice(["请", "麻烦", "你好，", "嗯，", "那个，"]) + text
    elif polite and r < 0.26:
        text = text.rstrip("。！") + rng.choice(["，谢谢", "，谢啦", "哈", "～", "，辛苦了"])
    if rng.random() < 0.1:
        text = text.replace("，", rng.choice([",", " "]))
    if not text.endswith(("？", "?", "！", "!", "。", "～", "吧", "哈")):
        if re.search(r"(吗|呢|什么|多少|哪|几|怎么|没|有没有)", text):
            text += rng.choice(["", "", "？", "?"])
        else:
            text += rng.choice(["", "", "", "。", "！"])
    return text


def gs_lang(text):
    """detect_language() of the agent: any CJK character makes it Chinese."""
    for ch in text:
        o = ord(ch)
        if 0x3000 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF:
            return "zh"
    return "en"


# ---- phrasings ------------------------------------------------------------------------------
# Each bank holds the templates of one intent per language. Template i is held out when
# i % 4 == 3: the held-out split uses only those, training only the others.

FULFIL = {
    "en": {"office": [" to my office", " to the office", " to work", ", deliver to my office",
                      " delivered to the office", ", send it to work", " to office",
                      ", to my office please"],
           "home": [" to my home", " home", " to my place", ", deliver it home", " delivered home",
                    " to my apartment", ", send it home", " to home"],
           "pickup": [" for pickup", ", I'll pick it up", ", pickup", " to pick up",
                      ", for self pickup", ", I'll collect it myself", " - pickup",
                      ", I'll come get it"],
           "default": [""]},
    "zh": {"office": ["，送到公司", "，送公司", "送到公司", "，送到我公司", "，送到办公室", "，配送到公司",
                      " 送公司", "，地址是公司"],
           "home": ["，送到家", "，送到家里", "送到我家", "，送回家", "，送家里", "，配送到家", " 送到家",
                    "，送我家"],
           "pickup": ["，自取", "，到店自取", "，我自己去拿", "，我去店里取", "，我自己来取", " 自取",
                      "，不用送，我自取", "，打包自取"],
           "default": [""]},
}

B = {}
B["order_m"] = {
    "en": ["order {qi} from {m}{to}", "{qi} from {m}{to}", "can you get me {qi} from {m}{to}",
           "I'd like {qi} from {m}{to}", "{m}: {qi}{to}", "please order {qi} at {m}{to}",
           "could you order {qi} from {m}{to}", "get me {qi} from {m}{to}",
           "I want {qi} from {m}{to}", "buy {qi} from {m}{to}", "{qi} at {m}{to}",
           "can I get {qi} from {m}{to}", "need {qi} from {m}{to}",
           "place an order at {m}: {qi}{to}", "I'll have {qi} from {m}{to}",
           "grab me {qi} from {m}{to}", "let's order {qi} from {m}{to}", "from {m}, {qi}{to}",
           "order from {m}: {qi}{to}", "hey can you order {qi} from {m}{to}",
           "I want to order {qi} from {m}{to}", "{m} order: {qi}{to}",
           "could I get {qi} from {m}{to}", "put in an order for {qi} from {m}{to}"],
    "zh": ["帮我在{m}点{qi}{to}", "{m}点{qi}{to}", "我要{m}的{qi}{to}", "从{m}订{qi}{to}",
           "{m}来{qi}{to}", "请帮我从{m}买{qi}{to}", "想要{m}的{qi}{to}", "{m}，{qi}{to}",
           "麻烦在{m}下单{qi}{to}", "在{m}帮我订{qi}{to}", "下单：{m}{qi}{to}",
           "{m}的{qi}，帮我下个单{to}", "我想从{m}点{qi}{to}", "帮忙点{m}的{qi}{to}",
           "给我来{qi}，要{m}的{to}", "{m}外卖：{qi}{to}", "买{qi}，{m}的{to}",
           "请在{m}给我点{qi}{to}", "点个外卖，{m}的{qi}{to}", "帮我叫{m}的{qi}{to}",
           "来{qi}吧，{m}家的{to}", "{m}帮我点{qi}{to}", "能帮我在{m}点{qi}吗{to}",
           "要{qi}，从{m}点{to}"],
}
B["order_n"] = {  # no merchant named: the nearest one that sells it
    "en": ["order {qi}{to}", "{qi}{to}", "can you get me {qi}{to}", "I'd like {qi}{to}",
           "please order {qi}{to}", "get me {qi}{to}", "I want {qi}{to}", "need {qi}{to} asap",
           "send {qi}{to}", "could you order {qi}{to}", "I'll have {qi}{to}", "grab me {qi}{to}",
           "buy me {qi}{to}", "order me {qi}{to}", "let's get {qi}{to}", "can I get {qi}{to}"],
    "zh": ["帮我点{qi}{to}", "来{qi}{to}", "我要{qi}{to}", "点{qi}{to}", "请帮我订{qi}{to}",
           "给我点{qi}{to}", "想要{qi}{to}", "帮忙下单{qi}{to}", "麻烦点{qi}{to}", "买{qi}{to}",
           "我想点{qi}{to}", "帮我叫{qi}{to}", "外卖：{qi}{to}", "订{qi}{to}", "能帮我点{qi}吗{to}",
           "要{qi}{to}"],
}
B["order_p"] = {  # catalog products; {store} may be empty
    "en": ["buy {pi}{store}{to}", "order {pi}{store}{to}", "I need {pi}{store}{to}",
           "get me {pi}{store}{to}", "can you order {pi}{store}{to}", "{pi}{store}{to}",
           "please buy {pi}{store}{to}", "I want {pi}{store}{to}", "could you get {pi}{store}{to}",
           "we're out of it, order {pi}{store}{to}", "add {pi}{store} and check out{to}",
           "pick up {pi}{store} for me{to}", "I'd like to buy {pi}{store}{to}",
           "purchase {pi}{store}{to}", "need to restock: {pi}{store}{to}",
           "grab {pi}{store}{to}"],
    "zh": ["买{pi}{store}{to}", "帮我买{pi}{store}{to}", "我要{pi}{store}{to}", "下单{pi}{store}{to}",
           "{store_zh}{pi}{to}", "帮我订{pi}{store}{to}", "请帮我买{pi}{store}{to}",
           "家里没了，买{pi}{store}{to}", "想买{pi}{store}{to}", "给我来{pi}{store}{to}",
           "帮忙下单{pi}{store}{to}", "能帮我买{pi}{store}吗{to}", "需要{pi}{store}{to}",
           "买点{pi}{store}{to}", "麻烦买{pi}{store}{to}", "帮我囤{pi}{store}{to}"],
}
B["order_two"] = {  # two lines at one merchant
    "en": ["order {qi} and {qi2} from {m}{to}", "{qi} and {qi2} from {m}{to}",
           "from {m}: {qi}, plus {qi2}{to}", "can you get {qi} and {qi2} from {m}{to}",
           "I'd like {qi} and {qi2} from {m}{to}", "{m}: {qi} and {qi2}{to}",
           "please order {qi} with {qi2} from {m}{to}", "get me {qi} and also {qi2} from {m}{to}",
           "I want {qi} and {qi2} at {m}{to}", "we'll have {qi} and {qi2} from {m}{to}",
           "order {qi} plus {qi2} from {m}{to}", "{qi}, {qi2}, from {m}{to}"],
    "zh": ["{m}点{qi}和{qi2}{to}", "帮我在{m}点{qi}，再来{qi2}{to}", "我要{m}的{qi}和{qi2}{to}",
           "{m}：{qi}，{qi2}{to}", "从{m}订{qi}加{qi2}{to}", "{m}来{qi}和{qi2}{to}",
           "请在{m}点{qi}还有{qi2}{to}", "想要{m}的{qi}跟{qi2}{to}", "在{m}下单{qi}、{qi2}{to}",
           "{m}的{qi}再加{qi2}{to}", "麻烦{m}点{qi}和{qi2}{to}", "帮我叫{m}的{qi}和{qi2}{to}"],
}
B["refine_opt"] = {
    "en": ["make it {opt}", "actually, {opt}", "change it to {opt}", "can you make that {opt}?",
           "{opt} instead", "switch to {opt}", "I want it {opt}", "make them {opt}",
           "oh and {opt} please", "sorry, {opt}", "change to {opt}", "could it be {opt}?",
           "let's do {opt}", "{opt} please", "update it: {opt}", "wait, {opt}"],
    "zh": ["改成{opt}", "换成{opt}", "{opt}吧", "要{opt}的", "改一下，{opt}", "还是{opt}吧",
           "帮我改成{opt}", "不好意思，改成{opt}", "能改成{opt}吗", "换{opt}", "我要{opt}",
           "调整一下，{opt}", "改{opt}", "哦对，{opt}", "等下，改成{opt}", "再改一下：{opt}"],
}
B["refine_qty"] = {
    "en": ["make it {n}", "actually {n} of them", "change the quantity to {n}", "I need {n} instead",
           "{n} please", "can you make it {n}?", "make that {n}", "let's do {n}",
           "sorry, I meant {n}", "change it to {n}", "{n}, not {old}", "update the quantity to {n}",
           "we need {n}", "make it {n} instead", "wait, {n} of those", "quantity {n}"],
    "zh": ["改成{nz}", "换成{nz}", "要{nz}", "{nz}吧", "数量改成{n}", "还是{nz}吧", "改一下，{nz}",
           "不好意思，要{nz}", "帮我改成{nz}", "我们要{nz}", "改为{nz}", "数量改为{nz}",
           "等下，{nz}", "{nz}就好", "换{nz}", "其实要{nz}"],
}
B["refine_more"] = {  # one more / one less
    "en": ["one more", "add one more", "make it one more", "one less", "one fewer please",
           "actually one less", "another one please", "drop one", "plus one", "remove one",
           "one more of those", "take one off"],
    "zh": ["再加一{u}", "多加一{u}", "再来一{u}", "少一{u}", "减一{u}", "少要一{u}", "再多一{u}",
           "去掉一{u}", "加一{u}", "少来一{u}", "多一{u}", "拿掉一{u}"],
}
B["refine_merchant"] = {
    "en": ["switch to {m2}", "actually get it from {m2}", "order from {m2} instead",
           "make it {m2} instead", "can we do {m2}?", "{m2} instead", "change the shop to {m2}",
           "let's go with {m2}", "I prefer {m2}", "use {m2} instead", "get the same from {m2}",
           "from {m2} please", "hmm, {m2} instead", "same thing but from {m2}",
           "not there, {m2}", "switch it to {m2} please"],
    "zh": ["换成{m2}吧", "改成{m2}", "还是{m2}吧", "换{m2}家的", "从{m2}点吧", "改从{m2}买",
           "{m2}的吧", "换到{m2}", "用{m2}的", "去{m2}点", "换一家，{m2}", "同样的，从{m2}点",
           "不要这家了，换{m2}", "{m2}吧", "改{m2}", "能换成{m2}吗"],
}
B["refine_address"] = {
    "en": ["deliver it to {d} instead", "actually, send it to {d}", "change the address to {d}",
           "to {d} instead please", "can it go to {d}?", "I'll be at {d}, deliver there",
           "send it to {d}", "make the delivery to {d}", "switch the address to {d}",
           "different address: {d}", "deliver to {d} please", "no wait, {d}"],
    "zh": ["改送到{d}", "送到{d}吧", "地址改成{d}", "换成送{d}", "还是送{d}", "送{d}",
           "改一下地址，送到{d}", "我在{d}，送这里", "配送地址改成{d}", "改送{d}", "能送到{d}吗",
           "换个地址：{d}"],
}
B["refine_pickup"] = {
    "en": ["I'll pick it up myself", "actually I'll pick it up", "make it pickup",
           "change to pickup", "no delivery, I'll collect it", "switch to self pickup",
           "I'll come get it", "pickup instead", "don't deliver, I'll grab it",
           "I'll swing by and pick it up", "make it a pickup order", "I'll collect it in store"],
    "zh": ["我自己去取", "改成自取", "不用送了，我去拿", "到店自取吧", "我自己去店里拿", "换成自取",
           "自取吧", "不要配送了，自取", "我过去拿", "改为到店自取", "不送了，我来取", "我去店里取吧"],
}
B["refine_add"] = {
    "en": ["add {qi} too", "also {qi}", "and {qi} as well", "throw in {qi}", "plus {qi}",
           "can you add {qi}?", "oh, add {qi}", "add {qi} to that", "and {qi} please",
           "also get {qi}", "one more thing: {qi}", "add {qi} to the order"],
    "zh": ["再加{qi}", "再来{qi}", "加{qi}", "顺便加{qi}", "还要{qi}", "另外加{qi}", "再点{qi}",
           "再帮我加{qi}", "加上{qi}", "哦对，再来{qi}", "还要加{qi}", "多加{qi}"],
}
B["refine_drop"] = {
    "en": ["drop the {name}", "remove the {name}", "no {name} after all", "forget the {name}",
           "take off the {name}", "actually skip the {name}", "without the {name}",
           "cancel the {name}, keep the rest", "remove {name} please", "lose the {name}",
           "no need for the {name}", "just drop the {name}"],
    "zh": ["{name}不要了", "去掉{name}", "把{name}删了", "不要{name}了", "{name}取消", "{name}不要",
           "删掉{name}", "把{name}去掉吧", "{name}就不要了", "别要{name}了", "{name}拿掉",
           "不用{name}了"],
}
B["refine_cancel"] = {
    "en": ["no, forget it", "cancel that", "never mind", "actually don't order", "nah, skip it",
           "I changed my mind", "don't place it", "no thanks, cancel", "stop, I don't want it",
           "let's not", "scratch that", "nope, cancel the order"],
    "zh": ["算了，不要了", "取消吧", "不用了", "先不下单了", "算了", "我不要了", "别下单了",
           "不点了", "还是算了", "不要了，谢谢", "取消这单", "我改主意了"],
}
B["confirm_words"] = {
    "en": ["yes, go ahead", "ok place it", "sounds good, order it", "yes please", "confirm",
           "go for it", "yep, do it", "looks good", "ok", "sure, place the order", "perfect, yes",
           "yes, that's right"],
    "zh": ["好的，下单吧", "确认", "可以，下单", "就这样吧", "没问题", "好，帮我下单", "对，就这个",
           "行", "下单", "确认下单", "好的", "可以的"],
}
B["menu"] = {
    "en": ["what's on the menu at {m}?", "show me {m}'s menu", "what does {m} have?",
           "menu of {m}", "what can I order from {m}?", "what do they sell at {m}?",
           "let me see the {m} menu", "{m} menu please", "what's good at {m}?",
           "can you pull up the menu for {m}?", "what drinks or dishes does {m} have?",
           "what's {m} got?", "I want to see what {m} offers", "open {m}'s menu",
           "list what {m} sells", "menu for {m}?"],
    "zh": ["{m}有什么吃的喝的？", "看看{m}的菜单", "{m}菜单", "{m}都卖什么？", "{m}有什么？",
           "给我看下{m}的菜单", "{m}能点什么", "帮我查一下{m}的菜单", "{m}有哪些东西？",
           "{m}的菜单给我看看", "打开{m}的菜单", "{m}都有啥", "我想看看{m}卖什么",
           "{m}的菜单是什么", "{m}有什么推荐的菜单", "列一下{m}的东西"],
}
B["price"] = {
    "en": ["how much is {i} at {m}?", "price of {i} at {m}", "what does {m} charge for {i}?",
           "how much does {m} sell {i} for?", "{i} at {m}, how much?", "is {i} expensive at {m}?",
           "what's the price of {i} from {m}?", "{m} {i} price", "how much for {i} at {m}?",
           "check the price of {i} at {m}", "tell me what {i} costs at {m}",
           "cost of {i} at {m}?"],
    "zh": ["{m}的{i}多少钱？", "{m}{i}什么价格", "{i}在{m}卖多少", "{m}的{i}贵吗？", "查一下{m}{i}的价格",
           "{m}{i}多少钱一份", "{i}，{m}，多少钱", "问下{m}的{i}价格", "{m}那边{i}怎么卖",
           "{m}的{i}价格是多少", "{m}{i}要多少钱", "看看{m}的{i}多少钱"],
}
B["search"] = {  # where can I get X (near Y)
    "en": ["where can I get {i}{near}?", "who sells {i}{near}?", "find {i}{near}",
           "any place with {i}{near}?", "I want {i}, where{near}?", "{i}{near}?",
           "search for {i}{near}", "looking for {i}{near}", "where's the closest {i}{near}?",
           "show me places that have {i}{near}", "which shops sell {i}{near}?",
           "is there {i} available{near}?", "find me {i}{near}", "options for {i}{near}?",
           "where do they sell {i}{near}?", "places with {i}{near}"],
    "zh": ["{near}哪里有{i}？", "{near}哪家有{i}", "找一下{near}的{i}", "{near}有卖{i}的吗",
           "想要{i}，{near}哪里有", "搜一下{near}的{i}", "{near}的{i}", "{i}，{near}哪里能买到",
           "帮我找{near}卖{i}的店", "{near}有{i}吗", "{near}哪有{i}卖", "查查{near}哪家店有{i}",
           "{near}能买到{i}吗", "{i}在{near}哪里有", "我想要{i}，{near}有吗", "{near}谁家有{i}"],
}
B["search_open"] = {  # ... open now
    "en": ["where can I get {i} right now{near}?", "who's open now with {i}{near}?",
           "{i} open now{near}", "any place open now that sells {i}{near}?",
           "find {i} that's open now{near}", "I need {i} now, what's open{near}?",
           "open places with {i}{near}", "is anywhere open for {i}{near}?"],
    "zh": ["{near}现在哪里能买到{i}", "{near}现在开着的有{i}的店", "{near}哪家现在营业有{i}",
           "现在{near}还有卖{i}的吗", "{near}营业中的{i}店", "找{near}现在开门的{i}",
           "{near}现在能买{i}的地方", "{near}此刻营业、有{i}的店"],
}
B["product_price"] = {
    "en": ["how much is {p}?", "price of {p}", "what does {p} cost?", "how much are {p}?",
           "check the price of {p}", "{p} price?", "is {p} expensive?", "find {p}",
           "do you have {p}?", "search {p}", "look up {p}", "how much for {p}?",
           "I'm looking for {p}", "{p}, how much?", "tell me the price of {p}", "got {p}?"],
    "zh": ["{p}多少钱？", "{p}什么价格", "查一下{p}的价格", "{p}贵吗", "找一下{p}", "有{p}吗",
           "搜{p}", "{p}怎么卖", "看看{p}", "{p}的价格", "{p}要多少钱", "帮我查{p}", "我想找{p}",
           "{p}，多少钱", "{p}卖多少", "问一下{p}的价钱"],
}
B["open"] = {
    "en": ["is {m} open now?", "is {m} open?", "can I still order from {m}?", "{m} open right now?",
           "are they open at {m}?", "is {m} still open?", "has {m} opened yet?",
           "check if {m} is open"],
    "zh": ["{m}现在开门吗？", "{m}营业吗", "{m}现在还能点吗", "{m}开着吗", "{m}现在营业没",
           "{m}还开着吗", "{m}开门了吗", "查一下{m}有没有营业"],
}
B["nearby"] = {
    "en": ["{k} near {near}", "any {k} near {near}?", "find {k} around {near}",
           "what {k} are close to {near}?", "is there a {k1} near {near}?", "{k} around {near}?",
           "show me {k} near {near}", "nearest {k1} to {near}", "I need a {k1} near {near}",
           "look for {k} near {near}", "where's a {k1} close to {near}?",
           "{k} in the area of {near}", "good {k} near {near}?", "list {k} near {near}",
           "closest {k} to {near}", "what {k} are around {near}?"],
    "zh": ["{near}附近的{k}", "{near}附近有{k}吗？", "找一下{near}附近的{k}", "{near}周边有什么{k}",
           "{near}旁边有{k}吗", "{near}附近哪有{k}", "帮我找{near}附近的{k}", "离{near}最近的{k}",
           "{near}附近有没有{k}", "搜一下{near}附近的{k}", "{near}边上的{k}", "{near}附近的{k}有哪些",
           "{near}这边有{k}吗", "看看{near}附近的{k}", "{near}一带的{k}", "查{near}附近{k}"],
}
B["nearby_me"] = {  # near the user: no near argument
    "en": ["{k} near me", "any {k} nearby?", "find {k} around here", "is there a {k1} nearby?",
           "closest {k1}?", "{k} close by", "I need a {k1} around here", "{k} near me please",
           "show me nearby {k}", "what {k} are around?", "nearest {k1}", "where's a {k1} near me?"],
    "zh": ["附近的{k}", "附近有{k}吗", "我附近有什么{k}", "找找附近的{k}", "最近的{k}在哪",
           "这附近有{k}吗", "周边的{k}", "离我最近的{k}", "附近哪有{k}", "看看附近的{k}",
           "帮我找附近的{k}", "我旁边有{k}吗"],
}
B["route"] = {
    "en": ["how do I get to {to}{from} {mode}?", "{mode_adj} route to {to}{from}",
           "directions to {to}{from} {mode}", "how long to {to}{from} {mode}?",
           "route to {to}{from}, {mode}", "how far is {to}{from} {mode}?",
           "navigate me to {to}{from} {mode}", "I want to go to {to}{from} {mode}",
           "show me the way to {to}{from} {mode}", "{mode_adj} directions to {to}{from}",
           "how many minutes to {to}{from} {mode}?", "get me a route to {to}{from} {mode}",
           "time to {to}{from} {mode}?", "best way to {to}{from} {mode}",
           "plan a route to {to}{from} {mode}", "going to {to}{from} {mode}, how long?"],
    "zh": ["{from_zh}{mode}去{to}怎么走", "{from_zh}{mode}到{to}要多久", "{from_zh}去{to}的{mode}路线",
           "{from_zh}{mode}去{to}得多久", "{from_zh}{mode}到{to}多远", "{from_zh}导航到{to}，{mode}",
           "{from_zh}{mode}去{to}", "我要{from_zh}{mode}去{to}，怎么走", "{from_zh}到{to}{mode}多长时间",
           "{from_zh}怎么{mode}去{to}", "帮我查{from_zh}{mode}到{to}的路线", "{from_zh}{mode}去{to}需要多久",
           "{from_zh}去{to}，{mode}的话多久", "规划一下{from_zh}{mode}去{to}的路线", "{from_zh}{mode}到{to}",
           "{from_zh}{mode}去{to}远吗"],
}
B["ride_quote"] = {
    "en": ["how much is a taxi to {to}{from}?", "price of a ride to {to}{from}",
           "how much would a car to {to}{from} cost?", "ride prices to {to}{from}",
           "what's the fare to {to}{from}?", "taxi fare to {to}{from}?",
           "quote me a ride to {to}{from}", "how much to get a cab to {to}{from}?",
           "cost of a ride to {to}{from}?", "check ride prices to {to}{from}",
           "how expensive is a car to {to}{from}?", "estimate a taxi to {to}{from}"],
    "zh": ["{from_zh}打车去{to}多少钱", "{from_zh}叫车到{to}要多少钱", "{from_zh}去{to}打车贵吗",
           "查一下{from_zh}到{to}的车费", "{from_zh}到{to}打车价格", "{from_zh}打车去{to}大概多少钱",
           "{from_zh}去{to}叫车多少钱", "问下{from_zh}到{to}的车费", "{from_zh}坐车到{to}多少钱",
           "{from_zh}到{to}，打车费用", "{from_zh}打个车去{to}多少钱", "估一下{from_zh}去{to}的车费"],
}
B["ride_book"] = {
    "en": ["get me a {v}to {to}{from}", "book a {v}to {to}{from}", "call me a {v}to {to}{from}",
           "I need a {v}to {to}{from}", "order a {v}to {to}{from}", "can you get a {v}to {to}{from}?",
           "request a {v}to {to}{from}", "{v}to {to}{from} please", "send a {v}to take me to {to}{from}",
           "I want a {v}to {to}{from}", "arrange a {v}to {to}{from}", "hail a {v}to {to}{from}"],
    "zh": ["{from_zh}帮我叫{v}去{to}", "{from_zh}叫{v}到{to}", "{from_zh}打{v}去{to}",
           "帮我叫{v}，{from_zh}去{to}", "{from_zh}约{v}去{to}", "我要{from_zh}坐{v}去{to}",
           "{from_zh}给我叫{v}去{to}", "叫{v}{from_zh}到{to}", "{from_zh}订{v}去{to}",
           "麻烦{from_zh}叫{v}去{to}", "{from_zh}要{v}去{to}", "安排{v}{from_zh}去{to}"],
}
B["table_check"] = {
    "en": ["is there a table for {p} at {r} {day} at {t}?", "can {p} of us eat at {r} {day} at {t}?",
           "does {r} have room for {p} {day} at {t}?", "check {r} for {p} {day} at {t}",
           "any free table at {r} {day} at {t} for {p}?", "table for {p} at {r} {day} {t}, available?",
           "is {r} free {day} at {t} for {p}?", "availability at {r} {day} at {t}, party of {pn}",
           "can I get a table at {r} for {p} {day} at {t}?", "{r}, {day} at {t}, {p}: any space?",
           "would {r} have a table {day} at {t} for {p}?", "check a table for {p} at {r}, {day} {t}"],
    "zh": ["{r}{day}{t}有{pz}的位子吗", "{day}{t}{r}{pz}有位吗", "查一下{r}{day}{t}{pz}的空位",
           "{r}{day}{t}还有{pz}的桌吗", "{day}{t}去{r}，{pz}，有位子吗", "{r}{day}{t}能坐{pz}吗",
           "帮我看看{r}{day}{t}{pz}有没有位", "{day}{t}{r}有空桌吗？{pz}", "{r}{day}{t}{pz}的桌子有吗",
           "问一下{r}{day}{t}{pz}有位子没", "{day}{t}在{r}吃饭，{pz}，有位置吗", "{r}，{day}{t}，{pz}，有空位吗"],
}
B["table_book"] = {
    "en": ["book a table for {p} at {r} {day} at {t}", "reserve {r} for {p} {day} at {t}",
           "table for {p} at {r} {day} at {t} please", "can you book {r} {day} at {t} for {p}?",
           "make a reservation at {r} for {p}, {day} at {t}", "book {r}, {p}, {day} at {t}",
           "I'd like a table at {r} {day} at {t} for {p}", "reserve a table for {p} at {r} {day} {t}",
           "get us a table at {r} {day} at {t}, party of {pn}", "book dinner at {r} {day} at {t} for {p}",
           "{r} {day} at {t} for {p}, book it", "please reserve {r} for {p} people {day} at {t}",
           "we want to eat at {r} {day} at {t}, {p}, book it", "book me a table at {r}: {p}, {day}, {t}",
           "reservation for {p} at {r} {day} at {t}", "hold a table at {r} {day} at {t} for {p}"],
    "zh": ["帮我订{r}{day}{t}{pz}的位", "{day}{t}{r}，{pz}，帮我订位", "订一下{r}{day}{t}{pz}",
           "{r}{day}{t}订{pz}的桌", "预订{r}，{day}{t}，{pz}", "帮我在{r}订{day}{t}的位子，{pz}",
           "{day}{t}去{r}吃饭，{pz}，帮我订一下", "订{r}{day}{t}，{pz}", "我要订{r}{day}{t}的桌子，{pz}",
           "{r}{day}{t}，{pz}，订位", "麻烦订{r}{day}{t}{pz}的桌", "帮忙约{r}{day}{t}的位置，{pz}",
           "{day}{t}{r}订个{pz}的桌", "预约{r}{day}{t}，{pz}", "给我订{r}，{day}{t}，{pz}",
           "{r}订位：{day}{t}，{pz}"],
}
B["hotel_check"] = {
    "en": ["any rooms at {h} {stay}?", "what does {h} cost {stay}?", "check {h} {stay}",
           "is {h} available {stay} for {g}?", "room prices at {h} {stay}, {g}",
           "does {h} have rooms {stay}?", "how much is {h} {stay} for {g}?",
           "availability at {h} {stay}", "can {g} stay at {h} {stay}?",
           "what rooms does {h} have {stay}?", "look up {h} {stay} for {g}",
           "{h} {stay}, {g}: what's free?"],
    "zh": ["{h}{stay}还有房吗", "{h}{stay}多少钱", "查一下{h}{stay}的房间", "{h}{stay}{gz}有房吗",
           "{stay}住{h}要多少钱，{gz}", "{h}{stay}有什么房型", "看看{h}{stay}的价格", "{h}{stay}{gz}住得下吗",
           "{stay}{h}还有空房吗", "问下{h}{stay}的房价", "{h}，{stay}，{gz}，有房吗", "帮我查{h}{stay}的空房"],
}
B["hotel_book"] = {
    "en": ["book a {room} at {h} {stay} for {g}", "reserve the {room} at {h} {stay}, {g}",
           "I'd like the {room} at {h} {stay} for {g}", "get me a {room} at {h} {stay}, {g}",
           "book {h}, {room}, {stay}, {g}", "can you book the {room} at {h} {stay} for {g}?",
           "{room} at {h} {stay} for {g} please", "please reserve a {room} at {h} {stay} for {g}",
           "we need a {room} at {h} {stay}, {g}", "book us the {room} at {h} {stay}, {g}",
           "hotel: {h}, {room}, {stay}, {g}", "make a booking at {h}: {room}, {stay}, {g}",
           "I want to stay at {h} {stay} in a {room}, {g}", "reserve {h} {stay}: {room} for {g}",
           "book the {room} in {h} {stay}, {g}", "grab a {room} at {h} {stay} for {g}"],
    "zh": ["帮我订{h}{stay}的{room}，{gz}", "{h}{stay}订一间{room}，{gz}", "预订{h}{room}，{stay}，{gz}",
           "{stay}住{h}，{room}，{gz}", "订{h}的{room}，{stay}，{gz}", "我要订{h}{stay}的{room}，{gz}",
           "帮我在{h}订{room}，{stay}，{gz}", "{h}{room}{stay}，{gz}，帮我订", "麻烦订{h}{stay}{room}，{gz}",
           "{stay}{h}来一间{room}，{gz}", "给我订{h}，{room}，{stay}，{gz}", "预约{h}{stay}的{room}，{gz}",
           "{h}：{room}，{stay}，{gz}", "订房：{h}{room}，{stay}，{gz}", "帮忙订{h}{room}{stay}，{gz}",
           "我们{gz}，{stay}住{h}的{room}"],
}
B["bookings_list"] = {
    "en": ["what have I booked?", "show my bookings", "my reservations", "list my bookings",
           "do I have any bookings?", "what reservations do I have?", "check my bookings",
           "what's booked for me?", "any upcoming bookings?", "show me my reservations",
           "bookings please", "what did I reserve?"],
    "zh": ["我订了哪些？", "看看我的预订", "我的预约", "我有哪些预订", "查一下我的预订", "我订了什么",
           "列出我的预订", "我有预约吗", "我的订位和订房", "显示我的预订", "看下我订的东西", "我预订了啥"],
}
B["bookings_list_kind"] = {
    "en": ["show my {kind} bookings", "what {kind} bookings do I have?", "my {kind} reservations",
           "list my {kind} bookings", "check my {kind} booking", "do I have a {kind} booked?",
           "any {kind} bookings?", "{kind} bookings please"],
    "zh": ["看看我的{kind}", "我有哪些{kind}", "查一下我的{kind}", "我的{kind}", "列出我的{kind}",
           "我有{kind}吗", "显示我的{kind}", "我订的{kind}"],
}
B["bookings_cancel"] = {
    "en": ["cancel my {what}", "please cancel the {what}", "I don't need the {what} anymore, cancel it",
           "cancel the {what} I booked", "drop my {what}", "can you cancel my {what}?",
           "call off the {what}", "I want to cancel my {what}", "scrap the {what}",
           "cancel {what} please", "get rid of my {what}", "undo the {what}"],
    "zh": ["取消我的{what}", "把{what}取消了", "{what}不要了，取消", "帮我取消{what}", "取消{what}",
           "我要取消{what}", "{what}取消掉", "麻烦取消{what}", "把我的{what}退了", "{what}不需要了",
           "撤销{what}", "{what}帮我取消一下"],
}
B["orders_track"] = {
    "en": ["where is my order?", "where's my {what}?", "has my order arrived?", "status of my order",
           "track my order", "when will my {what} get here?", "is my {what} on the way?",
           "what's happening with my order?", "how's my order doing?", "check my recent order",
           "any update on my {what}?", "show my orders", "my orders", "did my order ship?",
           "what are my recent orders?", "is my order coming?"],
    "zh": ["我的订单到哪了？", "我的{what}到哪了", "订单送到了吗", "查一下我的订单", "我的订单状态",
           "{what}什么时候到", "我的{what}在路上了吗", "看看我的订单", "最近的订单", "我的订单怎么样了",
           "订单有更新吗", "我点的{what}呢", "跟踪一下订单", "我的外卖到了没", "查订单", "我的订单列表"],
}
B["orders_one"] = {
    "en": ["what's the status of order {id}?", "order {id}?", "show me order {id}",
           "details of order {id}", "where is order {id}?", "check order {id}",
           "when will order {id} arrive?", "how's order {id} going?", "look up order {id}",
           "order number {id} status", "tell me about order {id}", "is order {id} delivered?"],
    "zh": ["订单{id}现在什么状态？", "订单{id}", "看看订单{id}", "订单{id}的详情", "订单{id}到哪了",
           "查一下订单{id}", "订单{id}什么时候到", "{id}号订单怎么样了", "帮我查{id}号订单",
           "订单号{id}的状态", "订单{id}送到了吗", "{id}号单"],
}
B["orders_cancel_id"] = {
    "en": ["cancel order {id}", "please cancel order {id}", "I want to cancel order {id}",
           "cancel my order {id}", "order {id}: cancel it", "can you cancel order {id}?",
           "stop order {id}", "call off order {id}", "cancel order number {id}",
           "I ordered {id} by mistake, cancel it", "undo order {id}", "kill order {id}"],
    "zh": ["取消订单{id}", "帮我取消订单{id}", "订单{id}不要了", "取消{id}号订单", "订单{id}取消掉",
           "我要取消订单{id}", "麻烦取消订单{id}", "把订单{id}取消", "{id}号单取消", "撤销订单{id}",
           "订单{id}下错了，取消", "{id}号订单不要了"],
}
B["orders_cancel_desc"] = {
    "en": ["cancel my {what} order", "cancel the {what}", "I don't want the {what} anymore, cancel it",
           "please cancel the {what} order", "scrap the {what} order", "cancel my order from {m}",
           "can you cancel the {m} order?", "the {what} order, cancel it", "stop my {what} order",
           "undo the order from {m}", "call off the {what}", "cancel what I ordered from {m}"],
    "zh": ["取消我的{what}订单", "把{what}那单取消了", "{what}不要了，取消订单", "取消{m}的订单",
           "帮我把{m}那单取消", "{what}的订单取消", "{m}的单不要了", "撤销{what}订单", "取消刚才{m}的订单",
           "我不要{what}了，取消", "{m}那个订单帮我取消", "把{what}订单退掉"],
}
B["orders_refund"] = {
    "en": ["order {id} {why}, refund {amt}", "order {id} {why}, I want {amt} back",
           "please refund {amt} for order {id}, {why}", "request a refund of {amt} on order {id}: {why}",
           "refund {amt} for order {id}", "I'd like {amt} back for order {id} because it {why}",
           "order {id}: {why}, can I get {amt} refunded?", "get me a {amt} refund on order {id}, {why}",
           "ask for a refund of {amt}, order {id}, {why}", "order {id} - {why}. refund {amt} please",
           "{amt} refund for order {id}", "refund order {id}, {amt}, {why}"],
    "zh": ["订单{id}{why}，退{amt}", "订单{id}申请退款{amt}，{why}", "{why}，订单{id}帮我退{amt}",
           "订单{id}退{amt}", "帮我申请订单{id}退款{amt}，原因：{why}", "订单{id}{why}，要求退款{amt}",
           "{id}号订单{why}，退我{amt}", "申请退款：订单{id}，{amt}，{why}", "订单{id}能退{amt}吗？{why}",
           "麻烦订单{id}退{amt}，{why}", "订单{id}{why}，我要退{amt}", "退款{amt}，订单{id}"],
}
B["wallet"] = {
    "en": ["what's my balance?", "how much money is in my wallet?", "wallet balance",
           "check my wallet", "how much do I have left?", "balance please", "what's in my wallet?",
           "do I have enough money?", "show my wallet", "how much is in my account?",
           "my balance", "how much money do I have?", "current balance?", "check balance",
           "what's my wallet at?", "how much cash is in the app?"],
    "zh": ["我的余额是多少？", "钱包里还有多少钱", "查一下余额", "看看我的钱包", "我还剩多少钱",
           "余额", "我的钱包", "账户里有多少钱", "查余额", "钱包余额多少", "我有多少钱", "显示余额",
           "还有多少余额", "我的账户余额", "钱还够吗", "帮我看下余额"],
}
B["top_up"] = {
    "en": ["top up {amt}", "add {amt} to my wallet", "put {amt} in my wallet", "top up my wallet with {amt}",
           "recharge {amt}", "load {amt} into my wallet", "I want to top up {amt}",
           "can you add {amt} to my balance?", "deposit {amt}", "top-up of {amt} please",
           "add {amt} to my account", "fund my wallet with {amt}", "charge my wallet {amt}",
           "please top up {amt}", "{amt} top up", "refill my wallet with {amt}"],
    "zh": ["充值{amt}", "给钱包充{amt}", "钱包充值{amt}", "帮我充{amt}", "充{amt}", "往钱包里充{amt}",
           "我要充值{amt}", "余额充{amt}", "帮我往账户充{amt}", "充个{amt}", "麻烦充值{amt}",
           "钱包加{amt}", "给我充{amt}到钱包", "充值：{amt}", "帮我在钱包里充{amt}", "账户充值{amt}"],
}
B["coupons"] = {
    "en": ["what coupons do I have?", "my coupons", "show my coupons", "any coupons?",
           "list my vouchers", "do I have any discounts?", "which coupons can I use?",
           "check my coupons", "coupons please", "any vouchers for me?", "what discounts do I have?",
           "show me my coupons and deals"],
    "zh": ["我有哪些优惠券？", "我的优惠券", "看看优惠券", "有优惠券吗", "查一下我的券", "我有什么折扣",
           "能用哪些券", "优惠券列表", "我的红包和券", "有什么优惠", "显示我的优惠券", "我还有券吗"],
}
B["claim"] = {
    "en": ["claim the coupon {code}", "claim {code}", "add coupon {code}", "I want the {code} coupon",
           "redeem {code}", "get me coupon {code}", "use code {code} to claim a coupon",
           "please claim {code} for me", "grab the {code} voucher", "take coupon {code}",
           "I have a code: {code}", "claim voucher {code}"],
    "zh": ["领取优惠券{code}", "帮我领{code}", "领一下{code}这张券", "我要领{code}", "兑换{code}",
           "领券{code}", "帮我领取{code}", "{code}这个券帮我领了", "领{code}", "添加优惠券{code}",
           "我有个券码{code}", "优惠码{code}，领取"],
}
B["claim_all"] = {
    "en": ["are there coupons I can claim? take them", "claim any coupons available to me",
           "get me all the coupons I can claim", "any free coupons? grab them",
           "claim whatever coupons I can get", "find coupons I can claim and claim them",
           "are there new coupons? claim them", "collect all available coupons"],
    "zh": ["有能领的券吗？帮我领了", "把能领的优惠券都领了", "有没有可以领的券，帮我领", "帮我领所有能领的券",
           "有新券吗？领一下", "能领的券全领了", "看看有什么券能领，领掉", "领取所有可领的优惠券"],
}
B["cart_view"] = {
    "en": ["what's in my cart?", "show my cart", "my cart", "cart please", "what did I put in my cart?",
           "check my cart", "view cart", "anything in my cart?", "how much is my cart?",
           "list my cart", "open my cart", "what's in the basket?"],
    "zh": ["我的购物车里有什么？", "看看购物车", "购物车", "购物车有啥", "查一下购物车", "我加购了什么",
           "打开购物车", "购物车里多少钱", "购物车里有东西吗", "显示购物车", "我的购物车", "看下购物车"],
}
B["cart_clear"] = {
    "en": ["empty my cart", "clear my cart", "remove everything from my cart", "clear the cart",
           "delete all items in my cart", "start over, empty the cart", "wipe my cart",
           "empty the basket", "throw out everything in the cart", "reset my cart",
           "clear cart please", "take everything out of my cart"],
    "zh": ["清空购物车", "把购物车清空", "购物车全删了", "删除购物车里的东西", "购物车清一下",
           "清掉购物车", "购物车不要了，清空", "重新来，清空购物车", "把购物车里的都删掉", "清理购物车",
           "购物车清空吧", "删掉购物车所有东西"],
}
B["cart_clear_m"] = {
    "en": ["remove the {m} stuff from my cart", "take the {m} items out of my cart",
           "clear {m} from my cart", "delete my {m} items from the cart", "I don't want the {m} things, remove them",
           "drop {m} from the cart", "empty the {m} part of my cart", "remove everything from {m} in my cart"],
    "zh": ["把{m}的东西从购物车删掉", "购物车里{m}的不要了", "删掉购物车里{m}的", "清掉{m}的商品",
           "{m}的东西从购物车拿掉", "购物车去掉{m}", "把{m}那部分清空", "{m}的都删了"],
}
B["cart_add"] = {
    "en": ["put {qi} from {m} in my cart, don't order yet", "add {qi} from {m} to my cart",
           "just add {qi} from {m} to the cart", "cart: {qi} from {m}, no checkout yet",
           "save {qi} from {m} in my cart", "add {qi} from {m} to cart for later",
           "put {qi} from {m} in the basket", "add to cart: {qi} from {m}",
           "can you add {qi} from {m} to my cart? I'll order later", "stick {qi} from {m} in my cart",
           "add {qi} at {m} to my cart only", "throw {qi} from {m} into my cart"],
    "zh": ["往购物车加{qi}，{m}的，先别下单", "把{m}的{qi}加入购物车", "{m}的{qi}先加购物车",
           "购物车加{qi}，{m}家的", "先把{m}的{qi}放购物车", "加购：{m}{qi}", "帮我把{m}的{qi}加到购物车，不用下单",
           "{m}{qi}加入购物车", "把{qi}加进购物车，{m}的", "{m}的{qi}放进购物车里", "购物车里加上{m}的{qi}",
           "先加购{m}的{qi}，等下再下单"],
}
B["mt_order"] = {  # after a menu or a search: the item's id is in the conversation
    "en": ["{qi}{to}", "I'll take {qi}{to}", "ok, {qi}{to}", "order {qi}{to} then", "let's get {qi}{to}",
           "great, {qi}{to}", "then {qi}{to} please", "I want {qi}{to}", "get me {qi}{to}",
           "sounds good, {qi}{to}", "{qi} from there{to}", "order {qi} from them{to}"],
    "zh": ["那来{qi}{to}", "要{qi}{to}", "好，{qi}{to}", "就点{qi}{to}", "给我来{qi}{to}", "那就{qi}{to}",
           "点{qi}{to}", "我要{qi}{to}", "帮我下单{qi}{to}", "行，{qi}{to}", "就这家，{qi}{to}",
           "那帮我点{qi}{to}"],
}
B["mt_those"] = {  # "two of those": the item is the one the last answer named
    "en": ["{n} of those{to}", "I'll take {n}{to}", "order {n}{to}", "get me {n} of them{to}",
           "ok, {n} of those{to}", "great, order {n}{to}", "{n} then{to}", "sounds good, {n}{to}"],
    "zh": ["来{nz}{to}", "要{nz}{to}", "那来{nz}{to}", "就点{nz}{to}", "给我来{nz}{to}", "好，{nz}{to}",
           "点{nz}{to}", "那就{nz}{to}"],
}
B["mt_menu"] = {  # after nearby places: the merchant's id is in the conversation
    "en": ["what does {m} have?", "show me {m}'s menu", "what's on the menu at {m}?", "menu of {m}?",
           "what can I get at {m}?", "and {m}'s menu?", "what do they have at {m}?",
           "ok, what does {m} sell?"],
    "zh": ["{m}有什么？", "看看{m}的菜单", "{m}都卖什么", "{m}的菜单呢", "{m}有什么好吃的", "那{m}有啥",
           "{m}能点什么", "给我看{m}的菜单"],
}
B["mt_book_it"] = {
    "en": ["book it", "great, book it", "ok reserve that", "please book it", "go ahead and book",
           "yes, reserve it for us", "book that table", "perfect, book it please"],
    "zh": ["帮我订", "好，订吧", "那就订这个", "订一下", "可以，帮我预订", "就订这个", "好的，订位", "那帮我订上"],
}
B["mt_room"] = {
    "en": ["book the {room}", "I'll take the {room}", "reserve the {room} please", "ok, the {room}",
           "go with the {room}", "the {room} then, book it", "let's book the {room}", "get the {room}"],
    "zh": ["订{room}", "就要{room}", "帮我订{room}", "那订{room}吧", "{room}，订一间", "选{room}",
           "要{room}，帮我订", "订一间{room}"],
}
B["mt_ride"] = {
    "en": ["book the {v} one", "get me the {v}", "ok, {v} please", "I'll take {v}", "call the {v} car",
           "{v} it is, book it", "go with {v}", "let's do {v}"],
    "zh": ["叫{v}", "就要{v}", "帮我叫{v}", "那叫{v}吧", "订{v}", "{v}就行", "选{v}", "要{v}"],
}
B["mt_topup"] = {
    "en": ["top up {amt}", "add {amt} then", "ok, put {amt} in", "please add {amt}", "recharge {amt}",
           "then top up {amt}", "add {amt} to it", "let's add {amt}"],
    "zh": ["充{amt}", "那充{amt}", "帮我充{amt}", "充值{amt}吧", "加{amt}", "再充{amt}", "充个{amt}",
           "那就充{amt}"],
}

# Out of scope: no tool, one honest sentence naming what the app does.
OOS = {
    "weather": (["what's the weather like today?", "will it rain tomorrow?", "weather forecast please",
                 "is it cold outside?", "do I need an umbrella today?", "how hot will it be this afternoon?",
                 "what's the temperature now?", "is it going to snow this week?"],
                ["今天天气怎么样？", "明天会下雨吗", "天气预报", "外面冷吗", "今天要带伞吗", "下午会很热吗",
                 "现在多少度", "这周会下雪吗"],
                "I can't check the weather, but I can order food and drinks, find places and routes, "
                "and book tables, hotels and rides for you.",
                "我查不了天气，不过可以帮你点餐、找地方和路线，预订餐厅、酒店和叫车。"),
    "creative": (["write me a poem", "tell me a joke", "write a short story about a cat",
                  "compose a song for my mom's birthday", "make up a riddle", "write a haiku about rain",
                  "tell me a funny story", "write a love letter for me"],
                 ["给我写首诗", "讲个笑话", "写个关于猫的小故事", "帮我写首生日歌", "出个谜语", "写一首关于雨的俳句",
                  "讲个好玩的故事", "帮我写封情书"],
                 "I can't write poems or stories here; I can help you order, find places, plan routes "
                 "and book tables, hotels and rides.",
                 "我不会写诗或讲故事，可以帮你点餐、找地方、规划路线，预订餐厅、酒店和叫车。"),
    "travel": (["book me a flight to Beijing", "buy a train ticket to Shanghai", "find flights to Tokyo next week",
                "I need a plane ticket home", "book a high-speed rail ticket for Friday",
                "get me a bus ticket to Suzhou", "reserve a seat on the 9am train", "check flight CA1234"],
               ["帮我订去北京的机票", "买一张去上海的火车票", "查下周去东京的航班", "帮我订回家的机票",
                "订一张周五的高铁票", "买去苏州的汽车票", "订明早9点的火车座位", "查一下CA1234航班"],
               "I can't book flights or train tickets; I can get you a ride to the airport or the station.",
               "我订不了机票和火车票，可以帮你叫车去机场或火车站。"),
    "knowledge": (["what's the news today?", "how is the stock market doing?", "who won the game last night?",
                   "what's the capital of Australia?", "what's the dollar exchange rate?",
                   "who invented the telephone?", "how tall is Mount Everest?", "what year is the next Olympics?"],
                  ["今天有什么新闻", "股市怎么样", "昨晚比赛谁赢了", "澳大利亚的首都是哪里", "美元汇率多少",
                   "电话是谁发明的", "珠穆朗玛峰有多高", "下一届奥运会是哪年"],
                  "I can't look that up; I can help with food and drink orders, shopping, places, routes, "
                  "bookings and your wallet.",
                  "这个我查不了，我能帮你点餐购物、找地方和路线、预订，以及管理钱包。"),
    "work": (["translate 'good morning' into French", "help me with my math homework", "write some Python code",
              "what is 17 times 23?", "summarize this article for me", "fix my resume",
              "draft an email to my boss", "explain quantum physics"],
             ["把早上好翻译成法语", "帮我做数学作业", "写一段Python代码", "17乘23等于多少", "帮我总结这篇文章",
              "帮我改简历", "给老板写封邮件", "解释一下量子物理"],
             "I can't help with that; I can order food and drinks, find places and routes, and book "
             "tables, hotels and rides.",
             "这个我帮不了，我可以帮你点餐、找地方和路线，预订餐厅、酒店和叫车。"),
    "health": (["I have a headache, what should I take?", "is this rash serious?", "what's a good diet for me?",
                "how much ibuprofen can I take?", "should I see a doctor for my cough?",
                "can you diagnose my symptoms?"],
               ["我头疼该吃什么药", "这个皮疹严重吗", "我该怎么减肥", "布洛芬能吃几片", "咳嗽要不要去看医生",
                "帮我诊断一下症状"],
               "I can't give medical advice; I can find a pharmacy nearby or order from one for you.",
               "我不能提供医疗建议，可以帮你找附近的药店或从药店下单。"),
    "phone": (["set an alarm for 7am", "call my mom", "send a text to Wang", "play some music",
               "turn on the lights", "remind me to call the bank at 3", "take a photo", "open WeChat"],
              ["设个7点的闹钟", "给我妈打电话", "给王芳发短信", "放首歌", "开灯", "提醒我3点给银行打电话",
               "拍张照片", "打开微信"],
              "I can't control your phone; I can order food and drinks, find places and routes, and book "
              "tables, hotels and rides.",
              "我控制不了你的手机，可以帮你点餐、找地方和路线，预订餐厅、酒店和叫车。"),
    "money": (["send 100 yuan to Wang", "transfer money to my friend", "pay my electricity bill",
               "withdraw my balance to my bank card", "lend me 50 yuan", "split the bill with Alice"],
              ["转100块给王芳", "给朋友转账", "帮我交电费", "把余额提现到银行卡", "借我50块", "和Alice AA一下"],
              "I can't transfer money or pay bills; I can show your wallet balance and top it up.",
              "我不能转账或缴费，可以帮你查看余额和充值钱包。"),
}
SMALLTALK = {
    "hello": (["hi", "hello", "hey", "hi there", "good morning", "hey there!", "hello?", "yo",
               "good evening", "hiya", "morning!", "hi, anyone there?", "hello there", "good afternoon",
               "hey hey", "heya"],
              ["你好", "嗨", "在吗", "早上好", "哈喽", "您好", "晚上好", "你好呀", "下午好", "嗨，在吗", "早", "hi 你好",
               "哈喽哈喽", "有人吗", "你好啊", "嗨嗨"],
              "Hi! What can I do for you today?", "你好！有什么可以帮你的？"),
    "thanks": (["thanks", "thank you", "thx", "thanks a lot!", "great, thanks", "cheers",
                "much appreciated", "ty", "thank you so much", "awesome, thanks", "perfect, thank you",
                "thanks!"],
               ["谢谢", "谢啦", "多谢", "太好了，谢谢", "感谢", "谢谢你", "好的谢谢", "辛苦了", "谢谢哈", "万分感谢",
                "谢了", "好嘞，谢谢"],
               "You're welcome!", "不客气！"),
    "bye": (["bye", "goodbye", "see you", "that's all, bye", "good night", "see ya", "bye bye", "talk later",
             "that's it for now", "later!", "ok bye", "nothing else, bye"],
            ["拜拜", "再见", "没事了，拜拜", "晚安", "回头见", "先这样，再见", "拜", "下次聊", "没别的了，拜拜", "好的再见",
             "就这些，再见", "先这样吧"],
            "Bye! Have a good day.", "再见！祝你愉快。"),
    "about": (["who are you?", "what can you do?", "what are you?", "how can you help me?",
               "what do you do?", "help", "are you a robot?", "what are your features?", "what can I ask you?",
               "what's this app for?", "are you an AI?", "what services do you have?"],
              ["你是谁", "你能做什么", "你会干什么", "你能帮我什么", "怎么用你", "帮助", "你是机器人吗", "你有什么功能",
               "我能问你什么", "这个App能干嘛", "你是AI吗", "你们有什么服务"],
              "I'm the city app's assistant: I can order food, drinks and groceries, find places and "
              "routes, book tables, hotels and rides, and handle your orders, wallet and coupons.",
              "我是城市App的助手：可以点餐、买东西、找地方和路线，预订餐厅、酒店和叫车，还能管理订单、钱包和优惠券。"),
    "mood": (["how are you?", "how's it going?", "what's up?", "are you busy?", "having a good day?",
              "how's your day?", "all good?", "how are things?"],
             ["你好吗", "最近怎么样", "在干嘛", "忙吗", "今天过得好吗", "今天怎么样", "一切还好吗", "还好吗"],
             "I'm good, thanks! What can I do for you?", "我很好，谢谢！需要我帮你做什么？"),
    "praise": (["you're great", "nice job", "you're helpful", "good job", "you're the best", "well done",
                "that was fast", "love this app"],
               ["你真棒", "干得好", "你挺有用的", "做得不错", "你最棒了", "厉害", "好快啊", "这个App真好用"],
               "Thank you! Anything else I can do?", "谢谢夸奖！还有什么需要吗？"),
}

# ---- building tasks -------------------------------------------------------------------------


class Retry(Exception):
    """These random choices do not make a valid task: draw again."""


NOWS = ["2026-01-05T12:10", "2026-01-07T09:20", "2026-01-08T15:40", "2026-01-09T18:10",
        "2026-01-10T10:45", "2026-01-11T13:05", "2026-01-13T19:20", "2026-01-14T08:15",
        "2026-01-12T21:40", "2026-01-07T17:05", "2026-01-08T12:30", "2026-01-15T11:50",
        "2026-01-16T20:15", "2026-01-17T16:30"]
LOCATIONS = [3, 12, 16, 33, 11, 1, 19, 23, 36, 93, 128, 153, 17, 14, 15]  # device positions (places)


def parse_now(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M")


class Ctx:
    """One task being drawn: its split, language, clock, and which templates and entities it
    used."""

    def __init__(self, rng, split, lang):
        self.rng, self.split, self.lang = rng, split, lang
        self.want_ho = split == "heldout" and rng.random() < 0.8
        self.used_ho = False
        self.now = None
        self.when = parse_now(DEFAULT_NOW)

    def set_now(self, p_default=0.5, choices=None):
        if self.rng.random() < p_default:
            self.now, self.when = None, parse_now(DEFAULT_NOW)
        else:
            self.now = self.rng.choice(choices or NOWS)
            self.when = parse_now(self.now)

    def L(self, en, zh):
        return en if self.lang == "en" else zh

    def tpl(self, bank):
        items = bank[self.lang]
        ids = [i for i in range(len(items)) if (i % 4 == 3) == (self.split == "heldout")]
        return items[self.rng.choice(ids)]

    def tpl_list(self, items):
        ids = [i for i in range(len(items)) if (i % 4 == 3) == (self.split == "heldout")]
        return items[self.rng.choice(ids)]

    def pick(self, pool, prefer=None):
        """An entity for this split: training never sees held-out ones; a held-out task takes
        one when it wants one and the pool has any."""
        pool = list(pool)
        plain = [e for e in pool if not e.ho]
        if self.split == "train":
            cand = plain
        else:
            ho = [e for e in pool if e.ho]
            want = self.want_ho if prefer is None else prefer
            cand = ho if (want and ho) else plain
        if not cand:
            raise Retry()
        e = self.rng.choice(cand)
        if e.ho:
            self.used_ho = True
        return e

    def combo_ok(self, is_ho):
        """Whether a combination (party and time, an amount) fits this split."""
        if self.split == "train":
            return not is_ho
        return True

    def noise(self, text, polite=True):
        if self.lang == "en":
            return noise_en(self.rng, text, polite=polite)
        return noise_zh(self.rng, text, polite=polite)

    def fill(self, template, **slots):
        text = template.format(**slots)
        text = re.sub(r"[ \t]+", " ", text).strip()
        text = text.replace(" ,", ",").replace(" ?", "?").replace(",,", ",").replace("，，", "，")
        return text


def turn(user, *script, confirm=None):
    out = {"user": user, "script": list(script)}
    if confirm is not None:
        out["confirm"] = confirm
    return out


def make_task(ctx, family, user, turns, expect, tags, setup=None, location=None):
    for t in turns:
        if gs_lang(t["user"]) != ctx.lang:
            raise Retry()
    task = {"id": "", "lang": ctx.lang, "user": user}
    if location:
        task["location"] = location
    if ctx.now:
        task["now"] = ctx.now
    task["tags"] = tags
    if setup:
        task["setup"] = setup
    task["turns"] = turns
    task["expect"] = expect
    task["_family"] = family
    task["_ho_entity"] = ctx.used_ho
    return task


def read_only(calls):
    return {"calls": calls, "action": None}


def no_tools():
    return {"calls": [], "forbid": TOOLS, "action": None}


def user_for(ctx):
    return ctx.rng.choice([ALICE, WANG])


def location_of(place_id):
    p = PLACES[place_id]
    return {"lat": p.lat, "lon": p.lon}


# ---- orders: the canonical sequences --------------------------------------------------------
# A menu item of a named merchant: search_merchants(query="MERCHANT ITEM") finds exactly that
# merchant with the item; an item without a merchant: search_merchants(query=ITEM, near=LABEL),
# the nearest first. Then add_to_cart (options as the options' own names), preview_order and
# checkout with the same fulfilment: deliver_to a saved label, pickup, or nothing (the default
# address). A product: search_products(query=PRODUCT) then the variant.

def fulfil_args(fulfil):
    if fulfil in ("office", "home"):
        return {"deliver_to": fulfil}
    if fulfil == "pickup":
        return {"pickup": True}
    return {}


def tail(mid, fulfil):
    a = fulfil_args(fulfil)
    return [call("preview_order", merchant_id=mid, **a), call("checkout", merchant_id=mid, **a)]


def combo_search(m, item, lang):
    return call("search_merchants", query="{} {}".format(m.name(lang), item.name(lang)))


def add_item(line, lang):
    item, n, chosen = line["item"], line["n"], line["chosen"]
    if chosen:
        return call("add_to_cart", menu_item_id=item.id, quantity=n,
                    options=item.option_args(chosen, lang))
    return call("add_to_cart", menu_item_id=item.id, quantity=n)


def add_product(line):
    return call("add_to_cart", variant_id=line["variant"]["id"], quantity=line["n"])


def line_unit(line):
    if "item" in line:
        return line["item"].resolve(line["chosen"])[1]
    return line["variant"]["price"]


def subtotal(lines):
    return sum(line_unit(ln) * ln["n"] for ln in lines)


def affordable(user, m, lines, fulfil):
    s = subtotal(lines)
    fee = m.fee if fulfil != "pickup" else 0
    if s < m.min_order or s + fee > BALANCE[user] - 500:
        return False
    for ln in lines:
        stock = ln["item"].stock if "item" in ln else ln["variant"]["stock"]
        if stock is not None and ln["n"] > stock:
            return False
    return True


def order_expect(user, mid, lines, fulfil, status="confirmed", calls=None, actions=None):
    """What must hold after an order's card: the action's content, and the database."""
    items, menu_rows, product_rows = [], [], []
    for ln in lines:
        if "item" in ln:
            options, unit = ln["item"].resolve(ln["chosen"])
            items.append({"menu_item_id": ln["item"].id, "quantity": ln["n"],
                          "options_en": options})
            menu_rows.append([ln["item"].id, options, ln["n"], unit])
        else:
            items.append({"variant_id": ln["variant"]["id"], "quantity": ln["n"]})
            product_rows.append([ln["variant"]["id"], ln["n"], ln["variant"]["price"]])
    total = subtotal(lines)
    fulfilment = "pickup" if fulfil == "pickup" else "delivery"
    content = {"merchant": {"id": mid}, "fulfilment": fulfilment, "items": items,
               "subtotal": total}
    if fulfilment == "delivery":
        content["address"] = {"label": "home" if fulfil == "default" else fulfil}
    if calls is None:
        calls = []
        for ln in lines:
            if "item" in ln:
                calls.append(E("add_to_cart", menu_item_id=ln["item"].id, quantity=ln["n"]))
            else:
                calls.append(E("add_to_cart", variant_id=ln["variant"]["id"], quantity=ln["n"]))
        calls.append(E("preview_order", merchant_id=mid))
        calls.append(E("checkout", merchant_id=mid, **({"pickup": True} if fulfil == "pickup"
                                                       else {})))
    db = []
    if status == "confirmed":
        db.append(orders_rows([mid, "placed", fulfilment, total]))
        if menu_rows:
            db.append(q("SELECT menu_item_id, options_en, quantity, unit_price FROM order_items "
                        "WHERE menu_item_id IS NOT NULL ORDER BY id", *menu_rows))
        if product_rows:
            db.append(q("SELECT variant_id, quantity, unit_price FROM order_items "
                        "WHERE variant_id IS NOT NULL ORDER BY id", *product_rows))
        db.append(wallet_paid(user))
    else:
        db.append(no_orders())
    if actions:
        db.append(actions_by_status(*sorted(actions.items())))
    return {"calls": calls, "action": {"tool": "checkout", "status": status, "content": content},
            "db": db}


def pick_fulfil(ctx, weights=(40, 30, 15, 15)):
    return ctx.rng.choices(["office", "home", "pickup", "default"], weights=weights)[0]


def fulfil_text(ctx, fulfil):
    return ctx.rng.choice(FULFIL[ctx.lang][fulfil])


def pick_qty(ctx, weights=(36, 34, 15, 8, 5, 2)):
    return ctx.rng.choices([1, 2, 3, 4, 5, 6], weights=weights)[0]


FOOD_MERCHANTS = [1, 2, 3, 4, 5, 6, 9]


def open_food_merchants(ctx, ids=FOOD_MERCHANTS):
    return [MERCHANTS[m] for m in ids if MERCHANTS[m].place.open_at(ctx.when)]


def qi_text(ctx, item, n, chosen, mixed=None):
    if ctx.lang == "en":
        return item_words_en(ctx.rng, item, n, chosen)
    if mixed is None:
        mixed = ctx.rng.random() < 0.12
    return item_words_zh(ctx.rng, item, n, chosen, mixed=mixed)


def merchant_alias(ctx, m):
    return ctx.rng.choice(m.aliases[ctx.lang])


def draw_line(ctx, user, m, fulfil, exclude=(), choices_p=0.35):
    """A line of merchant m's menu the user can pay for."""
    items = [i for i in ITEMS.values() if i.m == m.id and i.id not in exclude]
    item = ctx.pick(items)
    chosen = random_choices(ctx.rng, item, p=choices_p)
    n = pick_qty(ctx)
    line = {"item": item, "n": n, "chosen": chosen}
    for _ in range(6):
        if affordable(user, m, [line], fulfil):
            return line
        line["n"] += 1
    raise Retry()


def order_turn(ctx, user, named=True, fulfil=None, lines=1, confirm=True):
    """One sentence to a card: the text, the script and the order's state."""
    rng = ctx.rng
    if named:
        merchants = open_food_merchants(ctx)
        if not merchants:
            raise Retry()
        m = rng.choice(merchants)
        fulfil = fulfil or pick_fulfil(ctx)
    else:
        fulfil = fulfil or rng.choice(["office", "home"])
        merchants = [MERCHANTS[k] for k in NEAREST[fulfil] if MERCHANTS[k].place.open_at(ctx.when)]
        if not merchants:
            raise Retry()
        m = rng.choice(merchants)
    first = draw_line(ctx, user, m, fulfil)
    state = {"m": m, "lines": [first], "fulfil": fulfil}
    if lines == 2:
        second = draw_line(ctx, user, m, fulfil, exclude={first["item"].id}, choices_p=0.25)
        state["lines"].append(second)
        if not affordable(user, m, state["lines"], fulfil):
            raise Retry()
    for k, ln in enumerate(state["lines"]):
        ln["line_id"] = k + 1
    to = fulfil_text(ctx, fulfil)
    qis = [qi_text(ctx, ln["item"], ln["n"], ln["chosen"]) for ln in state["lines"]]
    if named:
        bank = B["order_two"] if lines == 2 else B["order_m"]
        text = ctx.fill(ctx.tpl(bank), qi=qis[0], qi2=qis[-1], m=merchant_alias(ctx, m), to=to)
    else:
        text = ctx.fill(ctx.tpl(B["order_n"]), qi=qis[0], to=to)
    text = ctx.noise(text)
    script = []
    for ln in state["lines"]:
        if named:
            script.append(combo_search(m, ln["item"], ctx.lang))
        else:
            script.append(call("search_merchants", query=ln["item"].name(ctx.lang), near=fulfil))
        script.append(add_item(ln, ctx.lang))
    script += tail(m.id, fulfil)
    state["search_expect"] = E("search_merchants", result={"merchants": has(
        {"id": m.id, "items": has({"id": state["lines"][0]["item"].id})})})
    return turn(text, *script, confirm=confirm), state


def status_of(confirm):
    return {True: "confirmed", "cancel": "cancelled", False: "pending"}[confirm]


def pick_confirm(ctx):
    return ctx.rng.choices([True, "cancel", False], weights=(85, 10, 5))[0]


# ---- families: orders -----------------------------------------------------------------------


def fam_order_merchant(ctx):
    ctx.set_now()
    user = user_for(ctx)
    confirm = pick_confirm(ctx)
    t, st = order_turn(ctx, user, named=True, confirm=confirm)
    status = status_of(confirm)
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"], status=status,
                          actions={status: 1} if status != "confirmed" else None)
    expect["calls"].insert(0, st["search_expect"])
    tags = ["order", "confirm"] + (["pickup"] if st["fulfil"] == "pickup" else [])
    return make_task(ctx, "order.merchant", user, [t], expect, tags)


def fam_order_nearest(ctx):
    ctx.set_now()
    user = ALICE
    confirm = pick_confirm(ctx)
    t, st = order_turn(ctx, user, named=False, confirm=confirm)
    status = status_of(confirm)
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"], status=status,
                          actions={status: 1} if status != "confirmed" else None)
    expect["calls"].insert(0, st["search_expect"])
    return make_task(ctx, "order.nearest", user, [t], expect, ["order", "confirm"])


def fam_order_two(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t, st = order_turn(ctx, user, named=True, lines=2, confirm=True)
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"])
    return make_task(ctx, "order.two_items", user, [t], expect, ["order", "confirm"])


VARIANT_EN = {"500 g": ["500 g", "500g"], "1 kg": ["1 kg", "1kg"], "250 g": ["250 g", "250g"],
              "1 L": ["1 L", "1-litre", "1 liter"], "500 ml": ["500 ml", "500ml"],
              "250 ml": ["250 ml", "250ml"], "Single": ["single"], "Pack of 6": ["pack of 6", "6-pack"],
              "Pack of 24": ["pack of 24", "24-pack"], "Size L": ["size L"], "Size XL": ["size XL"]}


def variant_en(rng, v):
    if v["en"] in VARIANT_EN:
        return rng.choice(VARIANT_EN[v["en"]])
    m = re.match(r"(\d+) tablets", v["en"])
    if m:
        return rng.choice(["{}-tablet".format(m.group(1)), "{} tablets".format(m.group(1))])
    return v["en"].lower()


def product_unit_zh(v):
    if "片" in v["zh"]:
        return ["盒"]
    if v["zh"].endswith(("克", "千克")):
        return ["袋", "包", "份"]
    if v["zh"].endswith(("升", "毫升")):
        return ["瓶", "桶"]
    if "件装" in v["zh"]:
        return ["箱", "组"]
    return ["个", "份"]


def product_words(ctx, p, v, n, say_variant):
    rng = ctx.rng
    if ctx.lang == "en":
        name = rng.choice([p.en, p.en, p.en.lower()])
        if not say_variant:
            if n == 1:
                return rng.choice(["{} {}".format(a_or_an(name), name), "one " + name, name])
            return "{} {}".format(rng.choice(QTY_EN[n][:2]), name)
        ve = variant_en(rng, v)
        if n == 1:
            return rng.choice(["{} {} {}".format(a_or_an(ve), ve, name), "{}, {}".format(name, ve),
                               "{} ({})".format(name, ve), "the {} {}".format(ve, name)])
        return rng.choice(["{} {}, {}".format(rng.choice(QTY_EN[n][:2]), name, ve),
                           "{} of the {} {}".format(rng.choice(QTY_EN[n][:2]), ve, name),
                           "{} x{} ({})".format(name, n, ve)])
    unit = rng.choice(product_unit_zh(v))
    qz = rng.choice(QTY_ZH[n]) + unit
    if not say_variant:
        return rng.choice([qz + p.zh, p.zh + qz, p.zh] if n == 1 else [qz + p.zh, p.zh + qz])
    return rng.choice([qz + v["zh"] + "的" + p.zh, p.zh + v["zh"] + "，" + qz,
                       p.zh + "（" + v["zh"] + "）" + qz])


def draw_product(ctx, user, fulfil):
    p = ctx.pick(PRODUCTS)
    m = MERCHANTS[p.m]
    v = ctx.rng.choice(p.variants)
    n = ctx.rng.choices([1, 2, 3], weights=(60, 30, 10))[0]
    line = {"product": p, "variant": v, "n": n}
    for _ in range(4):
        if affordable(user, m, [line], fulfil):
            break
        line["n"] += 1
    else:
        raise Retry()
    if not affordable(user, m, [line], fulfil):
        raise Retry()
    return p, m, line


def fam_order_product(ctx):
    ctx.set_now()
    user = user_for(ctx)
    fulfil = pick_fulfil(ctx, weights=(30, 45, 8, 17))
    p, m, line = draw_product(ctx, user, fulfil)
    say_variant = len(p.variants) > 1 or ctx.rng.random() < 0.4
    pi = product_words(ctx, p, line["variant"], line["n"], say_variant)
    store = ""
    if ctx.rng.random() < 0.3:
        store = (" from " + merchant_alias(ctx, m)) if ctx.lang == "en" else ""
    store_zh = (merchant_alias(ctx, m) + "的") if ctx.lang == "zh" and ctx.rng.random() < 0.5 else ""
    text = ctx.fill(ctx.tpl(B["order_p"]), pi=pi, store=store, store_zh=store_zh,
                    to=fulfil_text(ctx, fulfil))
    text = ctx.noise(text)
    confirm = pick_confirm(ctx)
    status = status_of(confirm)
    script = [call("search_products", query=p.name(ctx.lang)), add_product(line)] + tail(m.id, fulfil)
    expect = order_expect(user, m.id, [line], fulfil, status=status,
                          actions={status: 1} if status != "confirmed" else None)
    expect["calls"].insert(0, E("search_products", result={"products": has(
        {"id": p.id, "variants": has({"id": line["variant"]["id"]})})}))
    return make_task(ctx, "order.product", user, [turn(text, *script, confirm=confirm)], expect,
                     ["order", "product", "confirm"])


# ---- families: refinements of a pending order (a second turn) --------------------------------


def first_order(ctx, user, lines=1):
    named = user == WANG or ctx.rng.random() < 0.75
    return order_turn(ctx, user, named=named, lines=lines, confirm=False)


def refined(ctx, family, user, turns, st, extra_tags=(), replaced=1, calls=None):
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"],
                          actions={"confirmed": 1, "replaced": replaced}, calls=calls)
    return make_task(ctx, family, user, turns, expect,
                     ["refine", "multi_turn", "confirm"] + list(extra_tags))


def option_change(ctx, item, before):
    """A refinement of an item's options: English names of one group's new choice."""
    groups = [g for g in item.groups if g[0] != "extra"]
    extras = [g for g in item.groups if g[0] == "extra"]
    if not groups and not extras:
        raise Retry()
    if extras and (not groups or ctx.rng.random() < 0.15):
        g = extras[0]
        current = [c for c in before if c in [o[0] for o in g[3]]]
        pool = [o[0] for o in g[3] if o[0] not in current]
        return [ctx.rng.choice(pool)]
    g = ctx.rng.choice(groups)
    effective = item.resolve(before)[0].split(", ")
    pool = [o[0] for o in g[3] if o[0] not in effective]
    return [ctx.rng.choice(pool)]


def opt_words(ctx, item, change):
    words = []
    for c in change:
        key = item.group_of(c)[0]
        if ctx.lang == "en":
            words.append(ctx.rng.choice(OPT_EN[(key, c)]))
        else:
            words.append(ctx.rng.choice(OPT_ZH[item.zh_of(c)]))
    return (" and " if ctx.lang == "en" else "").join(words)


def refine_options_turn(ctx, user, st, line_k=0):
    ln = st["lines"][line_k]
    change = option_change(ctx, ln["item"], ln["chosen"])
    after = ln["item"].merged(ln["chosen"], change)
    new = dict(ln, chosen=after)
    lines = list(st["lines"])
    lines[line_k] = new
    if not affordable(user, st["m"], lines, st["fulfil"]):
        raise Retry()
    text = ctx.noise(ctx.fill(ctx.tpl(B["refine_opt"]), opt=opt_words(ctx, ln["item"], change)),
                     polite=False)
    script = [call("update_cart_line", line_id=ln["line_id"],
                   options=ln["item"].option_args(change, ctx.lang))] + tail(st["m"].id, st["fulfil"])
    st2 = dict(st, lines=lines)
    return text, script, st2, E("update_cart_line", line_id=ln["line_id"])


def fam_refine_options(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    text, script, st2, exp = refine_options_turn(ctx, user, st)
    return refined(ctx, "refine.options", user, [t1, turn(text, *script, confirm=True)], st2,
                   calls=[exp, E("checkout", merchant_id=st["m"].id)])


def qty_phrase(ctx, item, n):
    if ctx.lang == "en":
        return ctx.rng.choice([NUM_WORD_EN[n], str(n)])
    unit = ctx.rng.choice(UNIT_ZH[item_kind(item)])
    return ctx.rng.choice(QTY_ZH[n]) + unit


def fam_refine_quantity(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    ln = st["lines"][0]
    rng = ctx.rng
    if rng.random() < 0.3:
        tpl = ctx.tpl(B["refine_more"])
        less = any(w in tpl for w in ("less", "fewer", "drop", "remove", "take", "少", "减", "去掉", "拿掉"))
        new_n = ln["n"] - 1 if less else ln["n"] + 1
        unit = rng.choice(UNIT_ZH[item_kind(ln["item"])])
        text = ctx.fill(tpl, u=unit)
    else:
        new_n = rng.choice([k for k in range(1, 7) if k != ln["n"]])
        text = ctx.fill(ctx.tpl(B["refine_qty"]), n=qty_phrase(ctx, ln["item"], new_n) if ctx.lang == "en"
                        else str(new_n), nz=qty_phrase(ctx, ln["item"], new_n),
                        old=NUM_WORD_EN.get(ln["n"], str(ln["n"])))
    if new_n < 1:
        raise Retry()
    new = dict(ln, n=new_n)
    if not affordable(user, st["m"], [new], st["fulfil"]):
        raise Retry()
    text = ctx.noise(text, polite=False)
    script = [call("update_cart_line", line_id=1, quantity=new_n)] + tail(st["m"].id, st["fulfil"])
    return refined(ctx, "refine.quantity", user, [t1, turn(text, *script, confirm=True)],
                   dict(st, lines=[new]),
                   calls=[E("update_cart_line", line_id=1, quantity=new_n),
                          E("checkout", merchant_id=st["m"].id)])


def fam_refine_merchant(ctx):
    ctx.set_now()
    user = user_for(ctx)
    rng = ctx.rng
    ms = [m for m in open_food_merchants(ctx, [1, 2, 4, 5])
          if MERCHANTS[TWIN[m.id]].place.open_at(ctx.when)]
    if not ms:
        raise Retry()
    m = rng.choice(ms)
    m2 = MERCHANTS[TWIN[m.id]]
    fulfil = pick_fulfil(ctx)
    items = [i for i in ITEMS.values() if i.m == m.id and twin_item(i) is not None]
    item = ctx.pick(items)
    chosen = random_choices(rng, item)
    line = {"item": item, "n": pick_qty(ctx), "chosen": chosen, "line_id": 1}
    other = {"item": twin_item(item), "n": line["n"], "chosen": chosen, "line_id": 1}
    if not affordable(user, m, [line], fulfil) or not affordable(user, m2, [other], fulfil):
        raise Retry()
    qi = qi_text(ctx, item, line["n"], chosen)
    text = ctx.noise(ctx.fill(ctx.tpl(B["order_m"]), qi=qi, m=merchant_alias(ctx, m),
                              to=fulfil_text(ctx, fulfil)))
    t1 = turn(text, combo_search(m, item, ctx.lang), add_item(line, ctx.lang), *tail(m.id, fulfil),
              confirm=False)
    text2 = ctx.noise(ctx.fill(ctx.tpl(B["refine_merchant"]), m2=merchant_alias(ctx, m2)),
                      polite=False)
    t2 = turn(text2, call("clear_cart", merchant_id=m.id), combo_search(m2, other["item"], ctx.lang),
              add_item(other, ctx.lang), *tail(m2.id, fulfil), confirm=True)
    st = {"m": m2, "lines": [other], "fulfil": fulfil}
    return refined(ctx, "refine.merchant", user, [t1, t2], st,
                   calls=[E("clear_cart", merchant_id=m.id),
                          E("add_to_cart", menu_item_id=other["item"].id, quantity=other["n"]),
                          E("checkout", merchant_id=m2.id)])


PLACE_WORDS = {"en": {"office": ["my office", "the office", "work"],
                      "home": ["my home", "my place", "my apartment"]},
               "zh": {"office": ["公司", "单位", "办公室"], "home": ["家", "家里", "我家"]}}


def fam_refine_address(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    old = st["fulfil"]
    new = ctx.rng.choice([f for f in ("office", "home", "pickup") if f != old and
                          not (old == "default" and f == "home")])
    if not affordable(user, st["m"], st["lines"], new):
        raise Retry()
    if new == "pickup":
        text = ctx.tpl(B["refine_pickup"])
    else:
        text = ctx.fill(ctx.tpl(B["refine_address"]),
                        d=ctx.rng.choice(PLACE_WORDS[ctx.lang][new]))
    text = ctx.noise(text, polite=False)
    t2 = turn(text, *tail(st["m"].id, new), confirm=True)
    st2 = dict(st, fulfil=new)
    tags = ["pickup"] if new == "pickup" else []
    return refined(ctx, "refine.address", user, [t1, t2], st2, tags,
                   calls=[E("checkout", merchant_id=st["m"].id,
                            **({"pickup": True} if new == "pickup" else {}))])


def fam_refine_add(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    m = st["m"]
    extra = draw_line(ctx, user, m, st["fulfil"], exclude={st["lines"][0]["item"].id},
                      choices_p=0.25)
    extra["n"] = min(extra["n"], 3)
    extra["line_id"] = 2
    lines = st["lines"] + [extra]
    if not affordable(user, m, lines, st["fulfil"]):
        raise Retry()
    qi = qi_text(ctx, extra["item"], extra["n"], extra["chosen"])
    text = ctx.noise(ctx.fill(ctx.tpl(B["refine_add"]), qi=qi), polite=False)
    t2 = turn(text, combo_search(m, extra["item"], ctx.lang), add_item(extra, ctx.lang),
              *tail(m.id, st["fulfil"]), confirm=True)
    return refined(ctx, "refine.lines", user, [t1, t2], dict(st, lines=lines),
                   calls=[E("add_to_cart", menu_item_id=extra["item"].id, quantity=extra["n"]),
                          E("checkout", merchant_id=m.id)])


def fam_refine_drop(ctx):
    ctx.set_now()
    user = user_for(ctx)
    t1, st = order_turn(ctx, user, named=True, lines=2, confirm=False)
    k = ctx.rng.randrange(2)
    gone, kept = st["lines"][k], st["lines"][1 - k]
    if not affordable(user, st["m"], [kept], st["fulfil"]):
        raise Retry()
    if ctx.lang == "en":
        name = ctx.rng.choice(ITEM_EN.get(gone["item"].en, [gone["item"].en.lower()]))
    else:
        name = ctx.rng.choice(ITEM_ZH.get(gone["item"].zh, [gone["item"].zh]))
    text = ctx.noise(ctx.fill(ctx.tpl(B["refine_drop"]), name=name), polite=False)
    t2 = turn(text, call("update_cart_line", line_id=gone["line_id"], quantity=0),
              *tail(st["m"].id, st["fulfil"]), confirm=True)
    return refined(ctx, "refine.lines", user, [t1, t2], dict(st, lines=[kept]),
                   calls=[E("update_cart_line", line_id=gone["line_id"], quantity=0),
                          E("checkout", merchant_id=st["m"].id)])


def fam_refine_cancel(ctx):
    ctx.set_now()
    user = user_for(ctx)
    if ctx.rng.random() < 0.3:
        fulfil = pick_fulfil(ctx, weights=(30, 45, 8, 17))
        p, m, line = draw_product(ctx, user, fulfil)
        say_variant = len(p.variants) > 1
        text = ctx.noise(ctx.fill(ctx.tpl(B["order_p"]), pi=product_words(ctx, p, line["variant"],
                                                                        line["n"], say_variant),
                                  store="", store_zh="", to=fulfil_text(ctx, fulfil)))
        t1 = turn(text, call("search_products", query=p.name(ctx.lang)), add_product(line),
                  *tail(m.id, fulfil), confirm=False)
        st = {"m": m, "lines": [line], "fulfil": fulfil}
    else:
        t1, st = first_order(ctx, user)
    text = ctx.noise(ctx.tpl(B["refine_cancel"]), polite=False)
    t2 = turn(text, ctx.L("OK, I won't place that order.", "好的，这单不下了。"), confirm="cancel")
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"], status="cancelled",
                          actions={"cancelled": 1})
    return make_task(ctx, "refine.cancel", user, [t1, t2], expect, ["cancel", "multi_turn"])


def fam_confirm_words(ctx):
    """The user says yes in words: the card is theirs to confirm; no second checkout."""
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    text = ctx.noise(ctx.tpl(B["confirm_words"]), polite=False)
    t2 = turn(text, ctx.L("Please tap confirm on the card to place the order.",
                          "请在卡片上点确认，就会下单。"), confirm=True)
    expect = order_expect(user, st["m"].id, st["lines"], st["fulfil"], actions={"confirmed": 1})
    return make_task(ctx, "confirm.words", user, [t1, t2], expect, ["confirm", "multi_turn"])


def fam_refine_chain(ctx):
    """Two refinements in a row (three turns): options or quantity, then the address."""
    ctx.set_now()
    user = user_for(ctx)
    t1, st = first_order(ctx, user)
    text, script, st2, _ = refine_options_turn(ctx, user, st)
    t2 = turn(text, *script, confirm=False)
    old = st2["fulfil"]
    new = ctx.rng.choice([f for f in ("office", "home", "pickup") if f != old and
                          not (old == "default" and f == "home")])
    if not affordable(user, st2["m"], st2["lines"], new):
        raise Retry()
    if new == "pickup":
        text3 = ctx.tpl(B["refine_pickup"])
    else:
        text3 = ctx.fill(ctx.tpl(B["refine_address"]), d=ctx.rng.choice(PLACE_WORDS[ctx.lang][new]))
    t3 = turn(ctx.noise(text3, polite=False), *tail(st2["m"].id, new), confirm=True)
    return refined(ctx, "refine.chain", user, [t1, t2, t3], dict(st2, fulfil=new), replaced=2,
                   calls=[E("update_cart_line", line_id=1), E("checkout", merchant_id=st["m"].id)])


# ---- families: menus, prices, search --------------------------------------------------------

MENU_REPLY = ("{{r.merchant.name}} has {{r.items.0.name}} ({{r.items.0.price_text}}), "
              "{{r.items.1.name}} ({{r.items.1.price_text}}) and {{r.items.2.name}} "
              "({{r.items.2.price_text}}), among others.",
              "{{r.merchant.name}}有{{r.items.0.name}}（{{r.items.0.price_text}}）、{{r.items.1.name}}"
              "（{{r.items.1.price_text}}）、{{r.items.2.name}}（{{r.items.2.price_text}}）等。")


def menu_merchants():
    return [MERCHANTS[m] for m in FOOD_MERCHANTS] + OTHER_MERCHANTS


def fam_menu(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    m = ctx.pick(menu_merchants())
    text = ctx.noise(ctx.fill(ctx.tpl(B["menu"]), m=merchant_alias(ctx, m)))
    script = [call("search_merchants", query=m.name(ctx.lang)), call("get_menu", merchant_id=m.id),
              ctx.L(*MENU_REPLY)]
    expect = read_only([E("search_merchants", result={"merchants": has({"id": m.id})}),
                        E("get_menu", merchant_id=m.id)])
    return make_task(ctx, "catalog.menu", user, [turn(text, *script)], expect, ["catalog"])


def fam_price(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    item = ctx.pick([i for i in ITEMS.values()])
    m = MERCHANTS[item.m]
    if ctx.lang == "en":
        name = ctx.rng.choice(ITEM_EN.get(item.en, [item.en.lower(), item.en]))
        name = ctx.rng.choice(["", "", a_or_an(name) + " ", "the "]) + name
    else:
        name = ctx.rng.choice(ITEM_ZH.get(item.zh, [item.zh]))
    text = ctx.noise(ctx.fill(ctx.tpl(B["price"]), i=name, m=merchant_alias(ctx, m)))
    script = [combo_search(m, item, ctx.lang),
              ctx.L("{{r.merchants.0.items.0.name}} at {{r.merchants.0.name}} is "
                    "{{r.merchants.0.items.0.price_text}}.",
                    "{{r.merchants.0.name}}的{{r.merchants.0.items.0.name}}是"
                    "{{r.merchants.0.items.0.price_text}}。")]
    expect = read_only([E("search_merchants", result={"merchants": has(
        {"id": m.id, "items": has({"id": item.id})})})])
    return make_task(ctx, "catalog.price", user, [turn(text, *script)], expect, ["catalog"])


def near_choice(ctx, user, allow_me=True, location_ok=True):
    """Where a search or a list is centred: (argument or None, English words, Chinese words,
    location or None, NEARBY_KINDS key)."""
    rng = ctx.rng
    r = rng.random()
    u = "A" if user == ALICE else "W"
    if r < 0.3:
        label = rng.choice(["office", "home"])
        return (label, " near " + rng.choice(PLACE_WORDS["en"][label]),
                rng.choice(PLACE_WORDS["zh"][label]), None, (u, label))
    if r < 0.45 and allow_me:
        if location_ok and rng.random() < 0.5:
            pid = rng.choice([p for p in LOCATIONS if not PLACES[p].ho or ctx.split == "heldout"])
            if PLACES[pid].ho:
                ctx.used_ho = True
            return (None, " near me", "附近", location_of(pid), ("A", PLACES[pid].en))
        return (None, " near me", "附近", None, (u, None))
    named = [p for p in PLACES.values() if ("A", p.en) in NEARBY_KINDS and p.kind != "restaurant"
             and p.id not in (13,)]
    p = ctx.pick(named)
    return (p.name(ctx.lang), " near " + place_alias(ctx, p, "en"), place_alias(ctx, p, "zh"), None,
            ("A", p.en))


PLACE_ALIAS = {13: (["the airport", "airport", "Eastlake airport", "Eastlake International Airport"],
                    ["机场", "东湖机场", "东湖国际机场"]),
               12: (["the railway station", "the train station", "City Railway Station"],
                    ["火车站", "城站", "城站火车站"]),
               3: (["Lakeside Tower"], ["湖滨大厦"]), 4: (["Willow Bank Residences"], ["柳岸花园"])}


def place_alias(ctx, p, lang=None):
    lang = lang or ctx.lang
    if p.id in PLACE_ALIAS:
        return ctx.rng.choice(PLACE_ALIAS[p.id][0 if lang == "en" else 1])
    if lang == "en":
        return ctx.rng.choice([p.en, p.en, p.en.lower()])
    return p.zh


def fam_search(ctx):
    ctx.set_now(0.6)
    user = user_for(ctx)
    item = ctx.pick(ITEMS.values())
    near, near_en, near_zh, loc, _ = near_choice(ctx, user)
    open_now = ctx.rng.random() < 0.25
    if open_now and not (MERCHANTS[item.m].place.open_at(ctx.when) and 10 <= ctx.when.hour < 20):
        raise Retry()
    if ctx.lang == "en":
        name = ctx.rng.choice(ITEM_EN.get(item.en, [item.en.lower(), item.en]))
        nt = near_en if near is not None or loc or ctx.rng.random() < 0.5 else ""
    else:
        name = ctx.rng.choice(ITEM_ZH.get(item.zh, [item.zh]))
        if near is None:
            nt = ctx.rng.choice(["附近", "我附近", "这附近"])
        else:
            nt = near_zh + ctx.rng.choice(["附近", "周边", "旁边"])
    text = ctx.noise(ctx.fill(ctx.tpl(B["search_open" if open_now else "search"]), i=name, near=nt))
    a = {"query": item.name(ctx.lang)}
    if near is not None:
        a["near"] = near
    if open_now:
        a["open_now"] = True
    script = [call("search_merchants", **a),
              ctx.L("{{r.merchants.0.name}} is the closest, {{r.merchants.0.distance_m}} m away: "
                    "{{r.merchants.0.items.0.name}} for {{r.merchants.0.items.0.price_text}}.",
                    "最近的是{{r.merchants.0.name}}，{{r.merchants.0.distance_m}}米，"
                    "{{r.merchants.0.items.0.name}}{{r.merchants.0.items.0.price_text}}。")]
    expect = read_only([E("search_merchants", result={"merchants": has({"items": has({})})})])
    return make_task(ctx, "catalog.search", user, [turn(text, *script)], expect, ["catalog"],
                     location=loc)


def fam_product_price(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    p = ctx.pick(PRODUCTS)
    name = p.zh if ctx.lang == "zh" else ctx.rng.choice([p.en, p.en.lower()])
    text = ctx.noise(ctx.fill(ctx.tpl(B["product_price"]), p=name))
    script = [call("search_products", query=p.name(ctx.lang)),
              ctx.L("{{r.products.0.name}} costs {{r.products.0.price_text}} at "
                    "{{r.products.0.merchant.name}}.",
                    "{{r.products.0.merchant.name}}的{{r.products.0.name}}售价{{r.products.0.price_text}}。")]
    expect = read_only([E("search_products", result={"products": has({"id": p.id})})])
    return make_task(ctx, "catalog.product", user, [turn(text, *script)], expect,
                     ["catalog", "product"])


def fam_open(ctx):
    ctx.set_now(0.3)
    user = user_for(ctx)
    m = ctx.pick([MERCHANTS[k] for k in FOOD_MERCHANTS])
    is_open = m.place.open_at(ctx.when, margin=0)
    text = ctx.noise(ctx.fill(ctx.tpl(B["open"]), m=merchant_alias(ctx, m)))
    if is_open:
        reply = ctx.L("Yes, {{r.merchants.0.name}} is open now.", "营业中，{{r.merchants.0.name}}现在可以下单。")
    else:
        reply = ctx.L("No, {{r.merchants.0.name}} is closed right now.", "{{r.merchants.0.name}}现在没有营业。")
    script = [call("search_merchants", query=m.name(ctx.lang)), reply]
    expect = read_only([E("search_merchants", result={"merchants": has(
        {"id": m.id, "open_now": is_open})})])
    return make_task(ctx, "catalog.open", user, [turn(text, *script)], expect, ["catalog"])


# ---- families: maps -------------------------------------------------------------------------

KIND_WORDS = {
    "cafe": (["cafés", "coffee shops", "cafes"], ["café", "coffee shop"], ["咖啡馆", "咖啡店"]),
    "tea": (["tea shops", "bubble tea places", "milk tea shops"], ["tea shop", "bubble tea place"],
            ["奶茶店", "茶饮店"]),
    "restaurant": (["restaurants", "places to eat"], ["restaurant", "place to eat"], ["餐厅", "饭店", "吃饭的地方"]),
    "supermarket": (["supermarkets", "grocery stores"], ["supermarket", "grocery store"], ["超市"]),
    "pharmacy": (["pharmacies", "drugstores"], ["pharmacy", "drugstore"], ["药店", "药房"]),
    "hotel": (["hotels"], ["hotel"], ["酒店", "宾馆"]),
    "cinema": (["cinemas", "movie theaters"], ["cinema", "movie theater"], ["电影院", "影城"]),
    "sight": (["sights", "places to visit"], ["sight", "place to visit"], ["景点", "好玩的地方"]),
    "station": (["stations", "train or bus stations"], ["station"], ["车站"]),
}
CUISINE_WORDS = {"sichuan": (["Sichuan", "sichuan"], ["川菜"]), "cantonese": (["Cantonese"], ["粤菜"]),
                 "hotpot": (["hotpot"], ["火锅"]), "noodles": (["noodle"], ["面馆", "面"]),
                 "dumplings": (["dumpling"], ["饺子"]), "hangzhou": (["Hangzhou"], ["杭帮菜"]),
                 "bbq": (["BBQ", "barbecue"], ["烧烤"]), "japanese": (["Japanese"], ["日料"]),
                 "western": (["Western"], ["西餐"]), "vegetarian": (["vegetarian"], ["素食"])}


# When most places of a kind are open (seed.md's hours), so that "open now" finds some.
OPEN_WINDOWS = {"cafe": [(480, 1140)], "tea": [(630, 1260)], "restaurant": [(675, 810), (1035, 1230)],
                "supermarket": [(540, 1260)], "pharmacy": [(540, 1260)], "hotel": [(0, 1440)],
                "cinema": [(630, 1320)], "sight": [(570, 960)], "station": [(360, 1320)],
                "r:bbq": [(1035, 1320)], "r:hotpot": [(675, 1380)], "r:noodles": [(420, 1170)],
                "r:dumplings": [(420, 1170)]}


def surely_open(ctx, kind):
    if ctx.when.weekday() == 0:
        return False
    windows = OPEN_WINDOWS.get(kind) or OPEN_WINDOWS["restaurant"]
    minute = ctx.when.hour * 60 + ctx.when.minute
    return any(a <= minute < b for a, b in windows)


def fam_nearby(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    rng = ctx.rng
    near, near_en, near_zh, loc, key = near_choice(ctx, user)
    kinds = NEARBY_KINDS.get(key, "").split()
    if not kinds:
        raise Retry()
    k = rng.choice(kinds)
    a = {}
    if near is not None:
        a["near"] = near
    if k.startswith("r:"):
        cuisine = k[2:]
        a["kind"] = "restaurant"
        a["cuisine"] = cuisine
        if ctx.lang == "en":
            c = rng.choice(CUISINE_WORDS[cuisine][0])
            kw = c + " " + rng.choice(["restaurants", "places", "food"])
            k1 = c + " restaurant"
        else:
            kw = k1 = rng.choice(CUISINE_WORDS[cuisine][1]) + rng.choice(["", "馆", "店"] if cuisine in ("noodles",) else ["", "馆", "餐厅"])
            kw = kw.replace("面馆馆", "面馆").replace("面馆店", "面馆")
            k1 = kw
    else:
        a["kind"] = k
        words = KIND_WORDS[k]
        kw = rng.choice(words[0]) if ctx.lang == "en" else rng.choice(words[2])
        k1 = rng.choice(words[1]) if ctx.lang == "en" else kw
    open_now = rng.random() < 0.15 and surely_open(ctx, k)
    if open_now:
        a["open_now"] = True
    if near is None:
        text = ctx.fill(ctx.tpl(B["nearby_me"]), k=kw, k1=k1)
    else:
        nw = near_en[len(" near "):] if ctx.lang == "en" else near_zh
        text = ctx.fill(ctx.tpl(B["nearby"]), k=kw, k1=k1, near=nw)
    if open_now:
        text = (text.rstrip("?") + ctx.rng.choice([", open now", " that are open now"]) + "?"
                if ctx.lang == "en" else ctx.rng.choice(["现在营业的", "开着的"]) + text)
    text = ctx.noise(text)
    order = ["near", "kind", "cuisine", "open_now"]
    a = {key2: a[key2] for key2 in order if key2 in a}
    script = [call("nearby_places", **a),
              ctx.L("The closest: {{join:r.places/name}}.", "最近的有：{{join_zh:r.places/name}}。")]
    expect = read_only([E("nearby_places", result={"places": has({"kind": a["kind"]})},
                          kind=a["kind"])])
    return make_task(ctx, "maps.nearby", user, [turn(text, *script)], expect, ["maps"],
                     location=loc)


MODES = {"walking": (["on foot", "walking"], ["走路", "步行"], "on foot", "步行"),
         "cycling": (["by bike", "cycling"], ["骑车", "骑行"], "by bike", "骑车"),
         "driving": (["by car", "driving"], ["开车", "驾车"], "by car", "开车")}
ROUTE_TARGETS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]


def route_places():
    return [p for p in PLACES.values() if p.kind in ("sight", "cinema", "station", "airport", "hotel")
            or p.id in ROUTE_TARGETS]


def end_choice(ctx, user, role, avoid=None):
    """A route end: (argument, English words, Chinese words, place or label)."""
    rng = ctx.rng
    if rng.random() < 0.25:
        label = rng.choice([x for x in ("office", "home") if x != avoid])
        en = {"office": ["my office", "the office", "work"], "home": ["home", "my place"]}[label]
        zh = {"office": ["公司"], "home": ["家"]}[label]
        return label, rng.choice(en), rng.choice(zh), label
    p = ctx.pick([p for p in route_places() if p.id != avoid])
    return p.name(ctx.lang), place_alias(ctx, p, "en"), place_alias(ctx, p, "zh"), p


def display(end, lang):
    if isinstance(end, str):
        return end
    return end.full(lang)


def fam_route(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    rng = ctx.rng
    to, to_en, to_zh, to_end = end_choice(ctx, user, "to")
    r = rng.random()
    loc = None
    if r < 0.4:
        frm = None
        fr_en, fr_zh = "", ""
        if rng.random() < 0.4:
            pid = rng.choice([p for p in LOCATIONS if not PLACES[p].ho or ctx.split == "heldout"])
            if PLACES[pid].ho:
                ctx.used_ho = True
            if to_end is PLACES.get(pid):
                raise Retry()
            loc = location_of(pid)
            fr_en, fr_zh = rng.choice([" from here", ""]), rng.choice(["从这里", "从我这", ""])
    else:
        avoid = to_end if isinstance(to_end, str) else to_end.id
        frm, f_en, f_zh, _ = end_choice(ctx, user, "from", avoid=avoid)
        fr_en, fr_zh = " from " + f_en, "从" + f_zh
    if frm is None and to_end == "home" and loc is None:
        raise Retry()
    mode = rng.choice(list(MODES))
    words = MODES[mode]
    if ctx.lang == "en":
        to_words = to_en if not isinstance(to_end, str) else {"office": "my office", "home": "home"}[to_end]
        text = ctx.fill(ctx.tpl(B["route"]), to=to_words, **{"from": fr_en}, mode=rng.choice(words[0]),
                        mode_adj={"walking": "walking", "cycling": "cycling", "driving": "driving"}[mode])
        text = text.replace("to home", "home")
    else:
        text = ctx.fill(ctx.tpl(B["route"]), to=to_zh, from_zh=fr_zh, mode=rng.choice(words[1]))
    text = ctx.noise(text)
    a = {}
    if frm is not None:
        a["from"] = frm
    a["to"] = to
    a["mode"] = mode
    script = [call("get_route", **a),
              ctx.L("About {{r.duration}} " + words[2] + " ({{r.distance_m}} m); you'd arrive around "
                    "{{r.arrive_at}}.",
                    words[3] + "大约{{r.duration}}，全程{{r.distance_m}}米，预计{{r.arrive_at}}到达。")]
    expect = read_only([E("get_route", mode=mode, result={"mode": mode,
                                                          "to": display(to_end, ctx.lang)})])
    return make_task(ctx, "maps.route", user, [turn(text, *script)], expect, ["maps"], location=loc)


def ride_ends(ctx, user):
    rng = ctx.rng
    to, to_en, to_zh, to_end = end_choice(ctx, user, "to")
    loc = None
    if rng.random() < 0.45:
        frm, fr_en, fr_zh = None, "", ""
        if rng.random() < 0.4:
            pid = rng.choice([p for p in LOCATIONS if not PLACES[p].ho or ctx.split == "heldout"])
            if PLACES[pid].ho:
                ctx.used_ho = True
            if to_end is PLACES.get(pid):
                raise Retry()
            loc = location_of(pid)
            fr_en, fr_zh = rng.choice([" from here", ""]), rng.choice(["从这里", "从我这", ""])
        elif to_end == "home":
            raise Retry()
    else:
        avoid = to_end if isinstance(to_end, str) else to_end.id
        frm, f_en, f_zh, _ = end_choice(ctx, user, "from", avoid=avoid)
        fr_en, fr_zh = " from " + f_en, "从" + f_zh
    if ctx.lang == "en" and isinstance(to_end, str):
        to_en = {"office": "my office", "home": "my home"}[to_end]
    a = {}
    if frm is not None:
        a["from"] = frm
    a["to"] = to
    return a, to_en, to_zh, fr_en, fr_zh, loc, to_end


QUOTE_REPLY = ("Economy {{r.options.0.price_text}}, comfort {{r.options.1.price_text}}, XL "
               "{{r.options.2.price_text}}; about {{r.duration}}.",
               "经济型{{r.options.0.price_text}}，舒适型{{r.options.1.price_text}}，大车"
               "{{r.options.2.price_text}}，约{{r.duration}}。")


def fam_ride_quote(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    a, to_en, to_zh, fr_en, fr_zh, loc, _ = ride_ends(ctx, user)
    if ctx.lang == "en":
        text = ctx.fill(ctx.tpl(B["ride_quote"]), to=to_en, **{"from": fr_en})
    else:
        text = ctx.fill(ctx.tpl(B["ride_quote"]), to=to_zh, from_zh=fr_zh)
    script = [call("ride_quote", **a), ctx.L(*QUOTE_REPLY)]
    expect = read_only([E("ride_quote", result={"options": has({"vehicle": "economy"})})])
    return make_task(ctx, "maps.ride_quote", user, [turn(ctx.noise(text), *script)], expect,
                     ["maps", "rides"], location=loc)


VEHICLE_WORDS = {"economy": (["taxi ", "car ", "ride ", "cab ", "economy car "], ["车", "辆车", "个车", "辆经济型"]),
                 "comfort": (["comfort car ", "comfort ride ", "comfort-class car "], ["辆舒适型", "舒适型的车"]),
                 "xl": (["XL car ", "big car ", "six-seater ", "XL ride "], ["辆大车", "6座车", "辆六座的车"])}


def fam_ride_book(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    a, to_en, to_zh, fr_en, fr_zh, loc, to_end = ride_ends(ctx, user)
    vehicle = ctx.rng.choices(["economy", "comfort", "xl"], weights=(60, 25, 15))[0]
    v = ctx.rng.choice(VEHICLE_WORDS[vehicle][0 if ctx.lang == "en" else 1])
    if ctx.lang == "en":
        text = ctx.fill(ctx.tpl(B["ride_book"]), v=v, to=to_en, **{"from": fr_en})
        text = text.replace("a economy", "an economy").replace("a XL", "an XL")
    else:
        text = ctx.fill(ctx.tpl(B["ride_book"]), v=v, to=to_zh, from_zh=fr_zh)
    ride = dict(a, vehicle=vehicle)
    script = [call("ride_quote", **a), call("request_ride", **ride)]
    content = {"vehicle": vehicle}
    if not isinstance(to_end, str):
        content["to"] = {"place_id": to_end.id}
    expect = {"calls": [E("ride_quote"), E("request_ride", vehicle=vehicle)],
              "action": {"tool": "request_ride", "status": "confirmed", "content": content},
              "db": [q("SELECT vehicle, status FROM rides", [vehicle, "requested"]),
                     wallet_paid(user)]}
    return make_task(ctx, "bookings.ride", user, [turn(ctx.noise(text), *script, confirm=True)],
                     expect, ["bookings", "rides", "confirm"], location=loc)


# ---- dates and times ------------------------------------------------------------------------

WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_ZH = ["一", "二", "三", "四", "五", "六", "日"]


def ordinal(d):
    if 10 <= d % 100 <= 20:
        return "{}th".format(d)
    return "{}{}".format(d, {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th"))


def day_words(ctx, offset, evening):
    """Words for the day `offset` days after now (English or Chinese)."""
    rng = ctx.rng
    d = ctx.when.date() + datetime.timedelta(days=offset)
    en, zh = [], []
    if offset == 0:
        en += ["today"] + (["tonight", "this evening"] if evening else [])
        zh += ["今天"] + (["今晚", "今天晚上"] if evening else [])
    elif offset == 1:
        en += ["tomorrow"] + (["tomorrow night", "tomorrow evening"] if evening else [])
        zh += ["明天"] + (["明晚", "明天晚上"] if evening else [])
    elif offset == 2:
        en += ["the day after tomorrow"]
        zh += ["后天"]
    if 2 <= offset <= 6:
        wd = d.weekday()
        en += ["on " + WEEKDAYS_EN[wd], "this " + WEEKDAYS_EN[wd]]
        zh += ["周" + WEEKDAYS_ZH[wd], "星期" + WEEKDAYS_ZH[wd], "这周" + WEEKDAYS_ZH[wd]]
    if offset >= 2 and d.month == 1:
        en += ["on January {}".format(d.day), "on Jan {}".format(d.day), "on the " + ordinal(d.day)]
        zh += ["1月{}日".format(d.day), "{}号".format(d.day), "1月{}号".format(d.day)]
    if not en:
        raise Retry()
    return rng.choice(en) if ctx.lang == "en" else rng.choice(zh)


def time_words(ctx, minute, day_text=""):
    rng = ctx.rng
    h, m = divmod(minute, 60)
    h12 = h - 12 if h > 12 else h
    if ctx.lang == "en":
        ampm = "pm" if h >= 12 else "am"
        forms = ["{}{}".format(h12, ampm) if m == 0 else "{}:{:02d}{}".format(h12, m, ampm),
                 "{} {}".format(h12, ampm) if m == 0 else "{}:{:02d} {}".format(h12, m, ampm),
                 "{:02d}:{:02d}".format(h, m)]
        if h == 12 and m == 0:
            forms.append("noon")
        if m == 30 and h >= 17:
            forms.append("half past {} pm".format(h12))
        if day_text.endswith(("night", "tonight", "evening")) and h >= 17:
            forms.append(str(h12) if m == 0 else "{}:30".format(h12))
        return rng.choice(forms)
    prefix = "上午" if h < 11 else "中午" if h < 14 else "下午" if h < 18 else "晚上"
    if day_text.endswith("晚") or day_text.endswith("晚上"):
        prefix = ""
    half = "半" if m == 30 else ""
    forms = ["{}{}点{}".format(prefix, h12, half), "{}{}点{}".format(prefix, NUM_WORD_ZH.get(h12, h12), half),
             "{:02d}:{:02d}".format(h, m), "{}点{}".format(h, half)]
    return rng.choice(forms)


def party_words(ctx, n):
    rng = ctx.rng
    if ctx.lang == "en":
        w = NUM_WORD_EN.get(n, str(n))
        if n == 1:
            return rng.choice(["one", "1", "just me"])
        return rng.choice([w, str(n), "{} people".format(n), "{} people".format(w)])
    w = NUM_WORD_ZH.get(n, str(n))
    return rng.choice(["{}个人".format(n), "{}个人".format(w), "{}位".format(n), "{}位".format(w)])


def pick_slot(ctx, place, party):
    """A (date offset, minute) the place can take a booking for, in the future."""
    cands = []
    for offset in range(0, 10):
        d = ctx.when.date() + datetime.timedelta(days=offset)
        for minute in range(660, 1290, 30):
            if not place.bookable(d.weekday(), minute):
                continue
            at = datetime.datetime.combine(d, datetime.time(minute // 60, minute % 60))
            if at < ctx.when + datetime.timedelta(minutes=45):
                continue
            t = "{:02d}:{:02d}".format(minute // 60, minute % 60)
            if not ctx.combo_ok(heldout_table(party, t)):
                continue
            cands.append((offset, minute, heldout_table(party, t)))
    if not cands:
        raise Retry()
    if ctx.split == "heldout" and ctx.want_ho:
        ho = [c for c in cands if c[2]]
        if ho and ctx.rng.random() < 0.5:
            cands = ho
    weights = [6 if c[0] <= 1 else 3 if c[0] <= 3 else 1 for c in cands]
    offset, minute, is_ho = ctx.rng.choices(cands, weights=weights)[0]
    if is_ho:
        ctx.used_ho = True
    return offset, minute


def restaurants():
    return [p for p in PLACES.values() if p.kind == "restaurant" and p.max_table]


def place_lookup(p, lang, kind):
    return call("nearby_places", near=p.name(lang), kind=kind)


def table_request(ctx, user):
    rng = ctx.rng
    p = ctx.pick(restaurants())
    party = rng.choices(range(1, 9), weights=(3, 30, 15, 25, 8, 10, 3, 6))[0]
    party = min(party, p.max_table)
    offset, minute = pick_slot(ctx, p, party)
    date = (ctx.when.date() + datetime.timedelta(days=offset)).isoformat()
    t = "{:02d}:{:02d}".format(minute // 60, minute % 60)
    day = day_words(ctx, offset, minute >= 17 * 60)
    slots = dict(r=place_alias(ctx, p), day=day, t=time_words(ctx, minute, day),
                 p=party_words(ctx, party), pn=str(party), pz=party_words(ctx, party))
    a = dict(place_id=p.id, date=date, time=t, party_size=party)
    return p, a, slots


AVAIL_REPLY = ("Yes, {{r.place.name}} has a table for {{r.party_size}} at {{r.time}} on {{r.date}}.",
               "有的，{{r.place.name}}{{r.date}} {{r.time}}有{{r.party_size}}人的位子。")


def fam_table_book(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    p, a, slots = table_request(ctx, user)
    text = ctx.noise(ctx.fill(ctx.tpl(B["table_book"]), **slots))
    script = [place_lookup(p, ctx.lang, "restaurant"), call("table_availability", **a),
              call("book_table", **a)]
    expect = {"calls": [E("nearby_places", result={"places": has({"id": p.id})}),
                        E("table_availability", result={"available": True}, **a),
                        E("book_table", **a)],
              "action": {"tool": "book_table", "status": "confirmed",
                         "content": {"place": {"id": p.id}, "date": a["date"], "time": a["time"],
                                     "party_size": a["party_size"]}},
              "db": [q("SELECT poi_id, party_size, status FROM table_bookings",
                       [p.id, a["party_size"], "booked"])]}
    return make_task(ctx, "bookings.table", user, [turn(text, *script, confirm=True)], expect,
                     ["bookings", "table", "confirm"])


def fam_table_check(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    p, a, slots = table_request(ctx, user)
    text = ctx.noise(ctx.fill(ctx.tpl(B["table_check"]), **slots))
    script = [place_lookup(p, ctx.lang, "restaurant"), call("table_availability", **a),
              ctx.L(*AVAIL_REPLY)]
    expect = read_only([E("nearby_places", result={"places": has({"id": p.id})}),
                        E("table_availability", result={"available": True}, **a)])
    return make_task(ctx, "bookings.table_availability", user, [turn(text, *script)], expect,
                     ["bookings", "table"])


ROOM_WORDS = {"Standard Queen Room": (["standard queen room", "queen room", "standard room"],
                                      ["标准大床房", "大床标准间"]),
              "Twin Room": (["twin room", "twin-bed room"], ["标准双床房", "双床房"]),
              "Deluxe King Room": (["deluxe king room", "king room", "deluxe room"], ["豪华大床房", "豪华间"]),
              "Family Suite": (["family suite", "suite"], ["家庭套房", "套房"])}


def hotels():
    return [p for p in PLACES.values() if p.kind == "hotel" and p.rooms]


def stay_words(ctx, offset, nights):
    rng = ctx.rng
    d1 = ctx.when.date() + datetime.timedelta(days=offset)
    d2 = d1 + datetime.timedelta(days=nights)
    if ctx.lang == "en":
        nw = rng.choice(["{} nights".format(nights), "{} nights".format(NUM_WORD_EN[nights])]) \
            if nights > 1 else rng.choice(["one night", "1 night", "a night"])
        day = day_words(ctx, offset, True)
        forms = ["{} for {}".format(day, nw), "from {} for {}".format(day.replace("on ", ""), nw),
                 "{}, {}".format(day, nw)]
        if d1.month == 1 and d2.month == 1 and offset >= 1:
            forms.append("from Jan {} to Jan {}".format(d1.day, d2.day))
            forms.append("from the {} to the {}".format(ordinal(d1.day), ordinal(d2.day)))
        return rng.choice(forms)
    nw = "{}晚".format(rng.choice(QTY_ZH[nights]))
    day = day_words(ctx, offset, True)
    forms = ["{}入住，住{}".format(day, nw), "{}住{}".format(day, nw), "{}起住{}".format(day, nw)]
    if d1.month == 1 and d2.month == 1 and offset >= 1:
        forms.append("{}号到{}号".format(d1.day, d2.day))
        forms.append("1月{}日到1月{}日".format(d1.day, d2.day))
    return rng.choice(forms)


def guest_words(ctx, g):
    rng = ctx.rng
    if ctx.lang == "en":
        if g == 1:
            return rng.choice(["just me", "one guest", "1 person"])
        return rng.choice(["{} guests".format(g), "{} people".format(NUM_WORD_EN[g]), "{} adults".format(g),
                           "the {} of us".format(NUM_WORD_EN[g])])
    if g == 1:
        return rng.choice(["1个人", "一个人", "就我一个", "1位"])
    return rng.choice(["{}个人".format(g), "{}个人".format(NUM_WORD_ZH[g]), "{}位".format(g),
                       "我们{}个".format(NUM_WORD_ZH[g])])


def hotel_request(ctx, user):
    rng = ctx.rng
    h = ctx.pick(hotels())
    room = rng.choice(h.rooms)
    guests = rng.randint(1, room["max_guests"])
    nights = rng.choices([1, 2, 3], weights=(55, 30, 15))[0]
    offset = rng.choices(range(0, 12), weights=[8, 8, 6, 5, 4, 4, 3, 3, 2, 2, 2, 2])[0]
    d1 = ctx.when.date() + datetime.timedelta(days=offset)
    d2 = d1 + datetime.timedelta(days=nights)
    a = dict(place_id=h.id, check_in=d1.isoformat(), check_out=d2.isoformat(), guests=guests)
    slots = dict(h=place_alias(ctx, h), stay=stay_words(ctx, offset, nights),
                 g=guest_words(ctx, guests), gz=guest_words(ctx, guests),
                 room=rng.choice(ROOM_WORDS[room["en"]][0 if ctx.lang == "en" else 1]))
    return h, room, nights, a, slots


def hotel_funds(user, total):
    """Setup steps that top the wallet up so that the stay can be paid, and the balance then."""
    need = total - (BALANCE[user] - 1000)
    if need <= 0:
        return [], BALANCE[user]
    amount = (need // 100000 + 1) * 100000
    return [setup_call("top_up_wallet", amount=amount)], BALANCE[user] + amount


HOTEL_REPLY = ("{{r.hotel.name}}, {{r.nights}} night(s): {{r.room_types.0.name}} "
               "{{r.room_types.0.total_text}}, {{r.room_types.1.name}} {{r.room_types.1.total_text}}.",
               "{{r.hotel.name}}住{{r.nights}}晚：{{r.room_types.0.name}}{{r.room_types.0.total_text}}，"
               "{{r.room_types.1.name}}{{r.room_types.1.total_text}}。")
# More than two guests: only the family suite fits, one room type.
HOTEL_REPLY_ONE = ("{{r.hotel.name}}, {{r.nights}} night(s): {{r.room_types.0.name}} "
                   "{{r.room_types.0.total_text}}.",
                   "{{r.hotel.name}}住{{r.nights}}晚：{{r.room_types.0.name}}{{r.room_types.0.total_text}}。")


def hotel_expect(user, h, room, nights, a, start, calls):
    total = room["price"] * nights
    return {"calls": calls,
            "action": {"tool": "book_hotel", "status": "confirmed",
                       "content": {"room_type": {"id": room["id"]}, "nights": nights, "total": total}},
            "db": [q("SELECT room_type_id, guests, total, status FROM hotel_bookings",
                     [room["id"], a["guests"], total, "booked"]),
                   q("SELECT balance FROM accounts WHERE kind = 'wallet' AND owner_id = {}".format(
                       USER_ID[user]), [start - total])]}


def fam_hotel_book(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    h, room, nights, a, slots = hotel_request(ctx, user)
    text = ctx.noise(ctx.fill(ctx.tpl(B["hotel_book"]), **slots))
    book = dict(room_type_id=room["id"], check_in=a["check_in"], check_out=a["check_out"],
                guests=a["guests"])
    script = [place_lookup(h, ctx.lang, "hotel"), call("hotel_availability", **a),
              call("book_hotel", **book)]
    setup, start = hotel_funds(user, room["price"] * nights)
    expect = hotel_expect(user, h, room, nights, a, start,
                          [E("nearby_places", result={"places": has({"id": h.id})}),
                           E("hotel_availability", result={"room_types": has({"room_type_id": room["id"]})},
                             **a),
                           E("book_hotel", **book)])
    return make_task(ctx, "bookings.hotel", user, [turn(text, *script, confirm=True)], expect,
                     ["bookings", "hotel", "confirm"], setup=setup or None)


def fam_hotel_check(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    h, room, nights, a, slots = hotel_request(ctx, user)
    tpl = ctx.tpl(B["hotel_check"])
    if a["guests"] > 2 or not re.search(r"\{gz?\}", tpl):
        a["guests"] = 2  # guests not said: two
        slots["g"] = slots["gz"] = guest_words(ctx, 2)
    text = ctx.noise(ctx.fill(tpl, **slots))
    script = [place_lookup(h, ctx.lang, "hotel"), call("hotel_availability", **a), ctx.L(*HOTEL_REPLY)]
    expect = read_only([E("nearby_places", result={"places": has({"id": h.id})}),
                        E("hotel_availability", **a)])
    return make_task(ctx, "bookings.hotel_availability", user, [turn(text, *script)], expect,
                     ["bookings", "hotel"])


# Bookings made before the conversation (setup), for listing and cancelling.
def booking_setups(ctx, user):
    tomorrow = (ctx.when.date() + datetime.timedelta(days=1)).isoformat()
    later = (ctx.when.date() + datetime.timedelta(days=3)).isoformat()
    out = {}
    out["table"] = ([setup_call("book_table", place_id=5, date=tomorrow, time="19:00", party_size=4)],
                    "table")
    out["ride"] = ([setup_call("request_ride", to="Eastlake International Airport", vehicle="economy")],
                   "ride")
    top = [setup_call("top_up_wallet", amount=100000)] if user == WANG else []
    out["hotel"] = (top + [setup_call("book_hotel", room_type_id=1, check_in=later,
                                      check_out=(ctx.when.date() + datetime.timedelta(days=4)).isoformat(),
                                      guests=2)], "hotel")
    return out


KIND_BOOKING = {"table": (["table", "restaurant"], ["订位", "餐厅预订"], "table booking", "订位"),
                "hotel": (["hotel", "hotel room"], ["酒店预订", "订房"], "hotel booking", "酒店预订"),
                "ride": (["ride", "taxi"], ["打车订单", "叫的车"], "ride", "叫的车")}
LIST_REPLY = {
    "table": ("You have a table at {{r.tables.0.place}} on {{r.tables.0.date}} at {{r.tables.0.time}} "
              "for {{r.tables.0.party_size}}.",
              "你订了{{r.tables.0.place}}，{{r.tables.0.date}} {{r.tables.0.time}}，{{r.tables.0.party_size}}位。"),
    "hotel": ("You have {{r.hotels.0.room_type}} at {{r.hotels.0.hotel}} from {{r.hotels.0.check_in}} "
              "to {{r.hotels.0.check_out}}.",
              "你订了{{r.hotels.0.hotel}}的{{r.hotels.0.room_type}}，{{r.hotels.0.check_in}}到{{r.hotels.0.check_out}}。"),
    "ride": ("You have a {{r.rides.0.vehicle}} ride to {{r.rides.0.to}}, {{r.rides.0.status}}.",
             "你有一单去{{r.rides.0.to}}的{{r.rides.0.vehicle}}用车，状态：{{r.rides.0.status}}。"),
}


def fam_bookings_list(ctx):
    ctx.set_now(0.5, choices=["2026-01-07T09:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05", "2026-01-14T08:15"])
    user = user_for(ctx)
    rng = ctx.rng
    setups = booking_setups(ctx, user)
    kind = rng.choice(["table", "hotel", "ride"])
    if rng.random() < 0.5:
        text = ctx.tpl(B["bookings_list"])
        setup = setups[kind][0]
        script = [call("list_bookings"), ctx.L(*LIST_REPLY[kind])]
        exp = E("list_bookings")
    else:
        words = KIND_BOOKING[kind]
        text = ctx.fill(ctx.tpl(B["bookings_list_kind"]), kind=rng.choice(words[0] if ctx.lang == "en"
                                                                          else words[1]))
        setup = setups[kind][0] + (setups["ride" if kind != "ride" else "table"][0]
                                   if rng.random() < 0.5 else [])
        script = [call("list_bookings", kind=kind), ctx.L(*LIST_REPLY[kind])]
        exp = E("list_bookings", kind=kind)
    key = {"table": "tables", "hotel": "hotels", "ride": "rides"}[kind]
    exp["result"] = {key: has({"booking_id": 1})}
    return make_task(ctx, "bookings.list", user, [turn(ctx.noise(text), *script)], read_only([exp]),
                     ["bookings"], setup=setup)


def fam_bookings_cancel(ctx):
    ctx.set_now(0.5, choices=["2026-01-07T09:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05", "2026-01-14T08:15"])
    user = user_for(ctx)
    rng = ctx.rng
    setups = booking_setups(ctx, user)
    kind = rng.choice(["table", "hotel", "ride"])
    what = {"en": {"table": ["table", "table booking", "restaurant reservation", "dinner reservation"],
                   "hotel": ["hotel booking", "hotel room", "hotel reservation"],
                   "ride": ["taxi", "ride", "car"]},
            "zh": {"table": ["订位", "餐厅预订", "订的桌"], "hotel": ["酒店预订", "订的房间", "酒店"],
                   "ride": ["车", "叫的车", "打车订单"]}}[ctx.lang][kind]
    text = ctx.noise(ctx.fill(ctx.tpl(B["bookings_cancel"]), what=rng.choice(what)))
    script = [call("list_bookings", kind=kind), call("cancel_booking", kind=kind, booking_id=1)]
    table = {"table": "table_bookings", "hotel": "hotel_bookings", "ride": "rides"}[kind]
    expect = {"calls": [E("list_bookings", kind=kind), E("cancel_booking", kind=kind, booking_id=1)],
              "action": {"tool": "cancel_booking", "status": "confirmed",
                         "content": {"kind": kind, "booking_id": 1}},
              "db": [q("SELECT status FROM {}".format(table), ["cancelled"])]}
    return make_task(ctx, "bookings.cancel", user, [turn(text, *script, confirm=True)], expect,
                     ["bookings", "cancel_booking", "confirm"], setup=setups[kind][0])


# ---- families: orders already placed ---------------------------------------------------------

WHAT_ORDER = {1: (["coffee", "latte"], ["咖啡"]), 2: (["coffee"], ["咖啡"]), 3: (["Sichuan food", "food"], ["川菜"]),
              4: (["milk tea", "tea"], ["奶茶"]), 5: (["milk tea", "tea"], ["奶茶"]),
              6: (["noodles"], ["面"]), 9: (["BBQ"], ["烧烤"])}


def placed_order(ctx, user, m, exclude_items=()):
    """Setup steps that place an order at m (delivered to the office), and its line."""
    items = [i for i in ITEMS.values() if i.m == m.id and not i.ho and i.id not in exclude_items]
    item = ctx.rng.choice(items)
    line = {"item": item, "n": 1, "chosen": []}
    for _ in range(6):
        if affordable(user, m, [line], "office"):
            break
        line["n"] += 1
    else:
        raise Retry()
    steps = [setup_call("add_to_cart", menu_item_id=item.id, quantity=line["n"]),
             setup_call("checkout", merchant_id=m.id, deliver_to="office")]
    return steps, line


def order_world(ctx, user, count):
    """1 or 2 orders placed before the conversation at open merchants (different ones)."""
    ms = open_food_merchants(ctx)
    if len(ms) < count:
        raise Retry()
    chosen = ctx.rng.sample(ms, count)
    setup, lines = [], []
    for m in chosen:
        steps, line = placed_order(ctx, user, m)
        setup += steps
        lines.append((m, line))
    return setup, lines


def fam_orders_track(ctx):
    ctx.set_now(0.6, choices=["2026-01-07T12:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05", "2026-01-09T18:10", "2026-01-13T19:20"])
    user = user_for(ctx)
    setup, lines = order_world(ctx, user, ctx.rng.choice([1, 1, 2]))
    advance = ctx.rng.choice([0, 0, 240, 900, 7200])
    if advance:
        setup.append({"advance_s": advance})
    m = lines[-1][0]
    what = ctx.rng.choice(WHAT_ORDER[m.id][0 if ctx.lang == "en" else 1])
    text = ctx.noise(ctx.fill(ctx.tpl(B["orders_track"]), what=what))
    if advance >= 900:  # the nearest ones are delivered by then (no ETA)
        reply = ctx.L("Order {{r.orders.0.order_id}} from {{r.orders.0.merchant}}: "
                      "{{r.orders.0.status}}.", "{{r.orders.0.merchant}}的订单{{r.orders.0.order_id}}："
                      "{{r.orders.0.status}}。")
    else:
        reply = ctx.L("Order {{r.orders.0.order_id}} from {{r.orders.0.merchant}} is "
                      "{{r.orders.0.status}}, expected around {{r.orders.0.eta}}.",
                      "{{r.orders.0.merchant}}的订单{{r.orders.0.order_id}}：{{r.orders.0.status}}，"
                      "预计{{r.orders.0.eta}}送达。")
    script = [call("list_orders"), reply]
    expect = read_only([E("list_orders", result={"orders": has({"order_id": len(lines)})})])
    return make_task(ctx, "orders.track", user, [turn(text, *script)], expect, ["orders"],
                     setup=setup)


def fam_orders_status(ctx):
    ctx.set_now(0.6, choices=["2026-01-07T12:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05", "2026-01-09T18:10"])
    user = user_for(ctx)
    setup, lines = order_world(ctx, user, ctx.rng.choice([1, 2]))
    advance = ctx.rng.choice([0, 300, 7200])
    if advance:
        setup.append({"advance_s": advance})
    oid = ctx.rng.randint(1, len(lines))
    text = ctx.noise(ctx.fill(ctx.tpl(B["orders_one"]), id=oid))
    script = [call("get_order", order_id=oid),
              ctx.L("Order {{r.order_id}} from {{r.merchant}}: {{r.status}}, total {{r.total_text}}.",
                    "订单{{r.order_id}}（{{r.merchant}}）：{{r.status}}，合计{{r.total_text}}。")]
    expect = read_only([E("get_order", order_id=oid, result={"order_id": oid})])
    return make_task(ctx, "orders.status", user, [turn(text, *script)], expect, ["orders"],
                     setup=setup)


def cancel_expect(user, oid, m):
    return {"calls": [E("cancel_order", order_id=oid)],
            "action": {"tool": "cancel_order", "status": "confirmed",
                       "content": {"order_id": oid, "merchant": {"id": m.id}}},
            "db": [q("SELECT status, refunded = total FROM orders WHERE id = {}".format(oid),
                     ["cancelled", 1]), wallet_paid(user)]}


def fam_orders_cancel(ctx):
    ctx.set_now(0.6, choices=["2026-01-07T12:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05", "2026-01-09T18:10"])
    user = user_for(ctx)
    rng = ctx.rng
    mode = rng.choices(["id", "desc", "late"], weights=(40, 45, 15))[0]
    setup, lines = order_world(ctx, user, 2 if mode == "desc" else rng.choice([1, 2]))
    if mode == "desc":
        if WHAT_ORDER[lines[0][0].id] == WHAT_ORDER[lines[1][0].id]:
            raise Retry()
        k = rng.randrange(2)
        m = lines[k][0]
        oid = k + 1
        if rng.random() < 0.5:
            what = rng.choice(WHAT_ORDER[m.id][0 if ctx.lang == "en" else 1])
        else:
            what = merchant_alias(ctx, m)
        text = ctx.fill(ctx.tpl(B["orders_cancel_desc"]), what=what, m=merchant_alias(ctx, m))
        script = [call("list_orders"), call("cancel_order", order_id=oid)]
        expect = cancel_expect(user, oid, m)
        expect["calls"].insert(0, E("list_orders"))
        return make_task(ctx, "orders.cancel", user, [turn(ctx.noise(text), *script, confirm=True)],
                         expect, ["orders", "cancel_order", "confirm"], setup=setup)
    oid = rng.randint(1, len(lines))
    m = lines[oid - 1][0]
    text = ctx.noise(ctx.fill(ctx.tpl(B["orders_cancel_id"]), id=oid))
    if mode == "late":
        setup.append({"advance_s": rng.choice([400, 900, 1500])})
        script = [call("cancel_order", order_id=oid),
                  ctx.L("The merchant has already accepted order {}, so it can't be cancelled now; "
                        "once it's delivered you can ask for a refund.".format(oid),
                        "商家已经接单了，订单{}现在取消不了；送达后可以申请退款。".format(oid))]
        expect = {"calls": [E("cancel_order", error="FailedPrecondition", order_id=oid)],
                  "action": None,
                  "db": [q("SELECT status <> 'cancelled' FROM orders WHERE id = {}".format(oid), [1])]}
        return make_task(ctx, "orders.cancel", user, [turn(text, *script)], expect,
                         ["orders", "cancel_order", "refusal"], setup=setup)
    script = [call("cancel_order", order_id=oid)]
    return make_task(ctx, "orders.cancel", user, [turn(text, *script, confirm=True)],
                     cancel_expect(user, oid, m), ["orders", "cancel_order", "confirm"], setup=setup)


WHY = {"cold": (["arrived cold", "was cold", "came cold"], ["送到都凉了", "是凉的"], "arrived cold", "送到时是凉的"),
       "wrong": (["was the wrong item", "was wrong", "had the wrong item"], ["送错了", "做错了"], "wrong item", "送错了"),
       "spilled": (["was spilled", "leaked everywhere"], ["洒了", "漏了"], "spilled", "洒了"),
       "missing": (["was missing an item", "came incomplete"], ["少送了东西", "缺了一份"], "item missing", "少送了")}


def amount_words(ctx, yuan):
    rng = ctx.rng
    if ctx.lang == "en":
        forms = ["{} yuan".format(yuan), "¥{}".format(yuan), "{} RMB".format(yuan), "{} CNY".format(yuan)]
        words = {10: "ten", 20: "twenty", 50: "fifty", 100: "a hundred", 200: "two hundred",
                 500: "five hundred", 1000: "a thousand", 30: "thirty", 5: "five", 15: "fifteen"}
        if yuan in words:
            forms.append(words[yuan] + " yuan")
        return rng.choice(forms)
    forms = ["{}元".format(yuan), "{}块".format(yuan), "{}块钱".format(yuan), "¥{}".format(yuan)]
    words = {10: "十", 20: "二十", 50: "五十", 100: "一百", 200: "两百", 500: "五百", 1000: "一千", 30: "三十",
             5: "五", 15: "十五"}
    if yuan in words:
        forms += [words[yuan] + "块", words[yuan] + "元"]
    return rng.choice(forms)


def fam_orders_refund(ctx):
    ctx.set_now(0.6, choices=["2026-01-07T12:20", "2026-01-08T15:40", "2026-01-10T10:45",
                              "2026-01-11T13:05"])
    user = user_for(ctx)
    rng = ctx.rng
    setup, lines = order_world(ctx, user, rng.choice([1, 2]))
    setup.append({"advance_s": 7200})
    oid = rng.randint(1, len(lines))
    m, line = lines[oid - 1]
    top = subtotal([line]) // 100 - 30
    amounts = [a for a in (5, 8, 10, 12, 15, 20, 25, 30) if a <= top]
    if not amounts:
        raise Retry()
    yuan = rng.choice(amounts)
    why = rng.choice(list(WHY))
    w = WHY[why]
    text = ctx.noise(ctx.fill(ctx.tpl(B["orders_refund"]), id=oid, amt=amount_words(ctx, yuan),
                              why=rng.choice(w[0] if ctx.lang == "en" else w[1])))
    script = [call("request_refund", order_id=oid, amount=yuan * 100, reason=ctx.L(w[2], w[3]))]
    expect = {"calls": [E("request_refund", order_id=oid, amount=yuan * 100)],
              "action": {"tool": "request_refund", "status": "confirmed",
                         "content": {"order_id": oid, "amount": yuan * 100}},
              "db": [q("SELECT order_id, kind, amount, status FROM after_sales",
                       [oid, "refund", yuan * 100, "open"])]}
    return make_task(ctx, "orders.refund", user, [turn(text, *script, confirm=True)], expect,
                     ["orders", "refund", "confirm"], setup=setup)


# ---- families: wallet, coupons, cart ---------------------------------------------------------

WALLET_REPLY = ("Your wallet balance is {{r.balance_text}}.", "你的钱包余额是{{r.balance_text}}。")


def fam_wallet(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    text = ctx.noise(ctx.tpl(B["wallet"]))
    expect = read_only([E("get_wallet", result={"balance": BALANCE[user]})])
    return make_task(ctx, "wallet.balance", user, [turn(text, call("get_wallet"), ctx.L(*WALLET_REPLY))],
                     expect, ["wallet"])


TOPUPS = [10, 20, 30, 50, 88, 100, 120, 150, 200, 500, 1000, 2000, 5000] + sorted(HELDOUT_TOPUPS)


def pick_topup(ctx):
    cands = [a for a in TOPUPS if ctx.combo_ok(a in HELDOUT_TOPUPS)]
    if ctx.split == "heldout" and ctx.want_ho and ctx.rng.random() < 0.6:
        cands = sorted(HELDOUT_TOPUPS)
    yuan = ctx.rng.choice(cands)
    if yuan in HELDOUT_TOPUPS:
        ctx.used_ho = True
    return yuan


def topup_expect(user, yuan, confirm):
    status = status_of(confirm)
    after = BALANCE[user] + (yuan * 100 if status == "confirmed" else 0)
    return {"calls": [E("top_up_wallet", amount=yuan * 100)],
            "action": {"tool": "top_up_wallet", "status": status, "content": {"amount": yuan * 100}},
            "db": [q("SELECT balance FROM accounts WHERE kind = 'wallet' AND owner_id = {}".format(
                USER_ID[user]), [after])]}


def fam_top_up(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    yuan = pick_topup(ctx)
    confirm = ctx.rng.choices([True, "cancel"], weights=(85, 15))[0]
    text = ctx.noise(ctx.fill(ctx.tpl(B["top_up"]), amt=amount_words(ctx, yuan)))
    return make_task(ctx, "wallet.top_up", user,
                     [turn(text, call("top_up_wallet", amount=yuan * 100), confirm=confirm)],
                     topup_expect(user, yuan, confirm), ["wallet", "confirm"])


def fam_coupons(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    text = ctx.noise(ctx.tpl(B["coupons"]))
    mine = "LUNA5" if user == ALICE else "MANNER10"
    script = [call("list_coupons"),
              ctx.L("You have {{join:r.mine/code}}; you can also claim {{join:r.claimable/code}}.",
                    "你有{{join_zh:r.mine/code}}，还可以领取{{join_zh:r.claimable/code}}。")]
    expect = read_only([E("list_coupons", result={"mine": has({"code": mine})})])
    return make_task(ctx, "coupons.list", user, [turn(text, *script)], expect, ["coupons"])


CLAIM_ERRORS = {"expired": ("That coupon has expired.", "这张券已经过期了。"),
                "gone": ("Sorry, that coupon is all gone.", "这张券已经被领完了。"),
                "unknown": ("There is no coupon with that code.", "没有这个券码。"),
                "held": ("You already have that coupon.", "这张券你已经领过了。")}


def fam_claim(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    rng = ctx.rng
    if rng.random() < 0.2:
        text = ctx.noise(ctx.tpl(B["claim_all"]))
        script = [call("list_coupons"), call("claim_coupon", code="NIGHT8"),
                  ctx.L("I claimed {{r.claimed.code}} for you ({{r.claimed.terms}}).",
                        "已帮你领取{{r.claimed.code}}（{{r.claimed.terms}}）。")]
        expect = read_only([E("list_coupons", result={"claimable": has({"code": "NIGHT8"})}),
                            E("claim_coupon", code="NIGHT8")])
        return make_task(ctx, "coupons.claim", user, [turn(text, *script)], expect, ["coupons"])
    other = "MANNER10" if user == ALICE else "LUNA5"
    own = "LUNA5" if user == ALICE else "MANNER10"
    cases = [("NIGHT8", None, None), ("FUTURE30", None, None), (other, None, None),
             ("EXPIRED20", "FailedPrecondition", "expired"), ("SOLDOUT5", "FailedPrecondition", "gone"),
             ("WELCOME10", "FailedPrecondition", "held"), ("LUNCH15", "FailedPrecondition", "held"),
             (own, "FailedPrecondition", "held"), ("ADMIN100", "NotFound", "unknown"),
             ("FREE50", "NotFound", "unknown"), ("VIP20", "NotFound", "unknown"),
             ("SPRING88", "NotFound", "unknown")]
    code, error, kind = rng.choice(cases)
    typed = rng.choice([code, code, code.lower()])
    text = ctx.noise(ctx.fill(ctx.tpl(B["claim"]), code=typed))
    if error:
        reply = ctx.L(*CLAIM_ERRORS[kind])
    else:
        reply = ctx.L("Done: {{r.claimed.code}} ({{r.claimed.terms}}) is in your account.",
                      "已领取{{r.claimed.code}}（{{r.claimed.terms}}）。")
    expect = read_only([E("claim_coupon", error=error, code=code)])
    expect["db"] = [q("SELECT COUNT(*) FROM user_coupons WHERE user_id = {}".format(USER_ID[user]),
                      [3 if error else 4])]
    return make_task(ctx, "coupons.claim", user, [turn(text, call("claim_coupon", code=code), reply)],
                     expect, ["coupons"] + (["refusal"] if error else []))


def cart_world(ctx, user, count):
    ms = ctx.rng.sample([MERCHANTS[k] for k in (1, 2, 3, 4, 5, 6)], count)
    setup, lines = [], []
    for m in ms:
        items = [i for i in ITEMS.values() if i.m == m.id and not i.ho]
        item = ctx.rng.choice(items)
        n = ctx.rng.randint(1, 3)
        setup.append(setup_call("add_to_cart", menu_item_id=item.id, quantity=n))
        lines.append((m, item, n))
    return setup, lines


def fam_cart_view(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    text = ctx.noise(ctx.tpl(B["cart_view"]))
    if ctx.rng.random() < 0.15:
        expect = read_only([E("view_cart", result={"item_count": 0})])
        return make_task(ctx, "cart.view", user,
                         [turn(text, call("view_cart"), ctx.L("Your cart is empty.", "购物车是空的。"))],
                         expect, ["cart"])
    setup, lines = cart_world(ctx, user, ctx.rng.choice([1, 2]))
    script = [call("view_cart"),
              ctx.L("You have {{r.item_count}} items in your cart, from {{join:r.merchants/merchant}}.",
                    "购物车里有{{r.item_count}}件商品，来自{{join_zh:r.merchants/merchant}}。")]
    expect = read_only([E("view_cart", result={"item_count": sum(n for _, _, n in lines)})])
    return make_task(ctx, "cart.view", user, [turn(text, *script)], expect, ["cart"], setup=setup)


def fam_cart_clear(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    if ctx.rng.random() < 0.35:
        setup, lines = cart_world(ctx, user, 2)
        k = ctx.rng.randrange(2)
        m = lines[k][0]
        text = ctx.noise(ctx.fill(ctx.tpl(B["cart_clear_m"]), m=merchant_alias(ctx, m)))
        script = [call("view_cart"), call("clear_cart", merchant_id=m.id),
                  ctx.L("Done, I removed {{r.removed_lines}} line(s) from that shop.",
                        "好了，已删除这家店的{{r.removed_lines}}项。")]
        keep = lines[1 - k]
        expect = read_only([E("view_cart"), E("clear_cart", merchant_id=m.id)])
        expect["db"] = [q("SELECT merchant_id, quantity FROM cart_items", [keep[0].id, keep[2]])]
        return make_task(ctx, "cart.clear", user, [turn(text, *script)], expect, ["cart"], setup=setup)
    setup, lines = cart_world(ctx, user, ctx.rng.choice([1, 2]))
    text = ctx.noise(ctx.tpl(B["cart_clear"]))
    script = [call("clear_cart"), ctx.L("Done, your cart is empty now.", "好了，购物车已清空。")]
    expect = read_only([E("clear_cart")])
    expect["db"] = [q("SELECT COUNT(*) FROM cart_items", [0])]
    return make_task(ctx, "cart.clear", user, [turn(text, *script)], expect, ["cart"], setup=setup)


def fam_cart_add(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    m = ctx.rng.choice([MERCHANTS[k] for k in FOOD_MERCHANTS])
    line = draw_line(ctx, user, m, "pickup")
    line["n"] = min(line["n"], 3)
    qi = qi_text(ctx, line["item"], line["n"], line["chosen"])
    text = ctx.noise(ctx.fill(ctx.tpl(B["cart_add"]), qi=qi, m=merchant_alias(ctx, m)))
    script = [combo_search(m, line["item"], ctx.lang), add_item(line, ctx.lang),
              ctx.L("Added {{r.added.quantity}} x {{r.added.item}} to your cart ({{r.cart.subtotal_text}} so far).",
                    "已加入购物车：{{r.added.item}} x{{r.added.quantity}}，目前{{r.cart.subtotal_text}}。")]
    expect = {"calls": [E("add_to_cart", menu_item_id=line["item"].id, quantity=line["n"])],
              "forbid": ["checkout"], "action": None,
              "db": [q("SELECT menu_item_id, quantity FROM cart_items", [line["item"].id, line["n"]]),
                     no_orders()]}
    return make_task(ctx, "cart.add", user, [turn(text, *script)], expect, ["cart"])


# ---- families: conversations -----------------------------------------------------------------


def mt_order_turn(ctx, user, m, item, fulfil=None, those=False):
    """A follow-up order of an item whose id the conversation already shows ("those": the
    user names only the quantity)."""
    fulfil = fulfil or pick_fulfil(ctx, weights=(40, 30, 20, 10))
    chosen = [] if those else random_choices(ctx.rng, item, p=0.25)
    line = {"item": item, "n": pick_qty(ctx), "chosen": chosen, "line_id": 1}
    for _ in range(6):
        if affordable(user, m, [line], fulfil):
            break
        line["n"] += 1
    else:
        raise Retry()
    if those:
        n = line["n"]
        words = ctx.rng.choice([w for w in QTY_EN[n] if w != "a"]) if ctx.lang == "en" else qty_phrase(ctx, item, n)
        text = ctx.fill(ctx.tpl(B["mt_those"]), n=words, nz=words, to=fulfil_text(ctx, fulfil))
    else:
        qi = qi_text(ctx, item, line["n"], chosen, mixed=False)
        text = ctx.fill(ctx.tpl(B["mt_order"]), qi=qi, to=fulfil_text(ctx, fulfil))
    text = ctx.noise(text, polite=False)
    t = turn(text, add_item(line, ctx.lang), *tail(m.id, fulfil), confirm=True)
    return t, line, fulfil


def fam_mt_menu_order(ctx):
    ctx.set_now()
    user = user_for(ctx)
    ms = open_food_merchants(ctx)
    if not ms:
        raise Retry()
    m = ctx.rng.choice(ms)
    item = ctx.pick([i for i in ITEMS.values() if i.m == m.id])
    t1 = turn(ctx.noise(ctx.fill(ctx.tpl(B["menu"]), m=merchant_alias(ctx, m))),
              call("search_merchants", query=m.name(ctx.lang)), call("get_menu", merchant_id=m.id),
              ctx.L(*MENU_REPLY))
    t2, line, fulfil = mt_order_turn(ctx, user, m, item)
    expect = order_expect(user, m.id, [line], fulfil)
    expect["calls"] = [E("get_menu", merchant_id=m.id)] + expect["calls"]
    return make_task(ctx, "multi_turn.menu_order", user, [t1, t2], expect,
                     ["multi_turn", "order", "confirm"])


def fam_mt_search_order(ctx):
    ctx.set_now()
    user = ALICE
    label = ctx.rng.choice(["office", "home"])
    ms = [MERCHANTS[k] for k in NEAREST[label] if MERCHANTS[k].place.open_at(ctx.when)]
    if not ms:
        raise Retry()
    m = ctx.rng.choice(ms)
    item = ctx.pick([i for i in ITEMS.values() if i.m == m.id])
    if ctx.lang == "en":
        name = ctx.rng.choice(ITEM_EN.get(item.en, [item.en.lower(), item.en]))
        near = " near " + ctx.rng.choice(PLACE_WORDS["en"][label])
    else:
        name = ctx.rng.choice(ITEM_ZH.get(item.zh, [item.zh]))
        near = ctx.rng.choice(PLACE_WORDS["zh"][label]) + ctx.rng.choice(["附近", "周边", "旁边"])
    text = ctx.noise(ctx.fill(ctx.tpl(B["search"]), i=name, near=near))
    t1 = turn(text, call("search_merchants", query=item.name(ctx.lang), near=label),
              ctx.L("{{r.merchants.0.name}} is the closest, {{r.merchants.0.distance_m}} m away: "
                    "{{r.merchants.0.items.0.name}} for {{r.merchants.0.items.0.price_text}}.",
                    "最近的是{{r.merchants.0.name}}，{{r.merchants.0.distance_m}}米，"
                    "{{r.merchants.0.items.0.name}}{{r.merchants.0.items.0.price_text}}。"))
    t2, line, fulfil = mt_order_turn(ctx, user, m, item, those=ctx.rng.random() < 0.5)
    expect = order_expect(user, m.id, [line], fulfil)
    expect["calls"] = [E("search_merchants", result={"merchants": has({"id": m.id})})] + expect["calls"]
    return make_task(ctx, "multi_turn.search_order", user, [t1, t2], expect,
                     ["multi_turn", "order", "confirm"])


# (near, kind, cuisine) whose first place is a landmark merchant, for Alice.
NEARBY_FIRST = [("office", "cafe", None, 1), ("office", "tea", None, 4), ("home", "tea", None, 5),
                ("home", "restaurant", "sichuan", 3), ("office", "restaurant", "noodles", 6)]


def fam_mt_nearby_menu(ctx):
    ctx.set_now(0.7)
    user = ALICE
    rng = ctx.rng
    near, kind, cuisine, mid = rng.choice(NEARBY_FIRST)
    m = MERCHANTS[mid]
    a = {"near": near, "kind": kind}
    if cuisine:
        a["cuisine"] = cuisine
        kw = rng.choice(CUISINE_WORDS[cuisine][0]) + " restaurants" if ctx.lang == "en" else \
            rng.choice(CUISINE_WORDS[cuisine][1]) + "馆"
        k1 = kw
    else:
        w = KIND_WORDS[kind]
        kw = rng.choice(w[0]) if ctx.lang == "en" else rng.choice(w[2])
        k1 = rng.choice(w[1]) if ctx.lang == "en" else kw
    nw = rng.choice(PLACE_WORDS[ctx.lang][near])
    t1 = turn(ctx.noise(ctx.fill(ctx.tpl(B["nearby"]), k=kw, k1=k1, near=nw)),
              call("nearby_places", **a),
              ctx.L("The closest: {{join:r.places/name}}.", "最近的有：{{join_zh:r.places/name}}。"))
    t2 = turn(ctx.noise(ctx.fill(ctx.tpl(B["mt_menu"]), m=merchant_alias(ctx, m)), polite=False),
              call("get_menu", merchant_id=m.id), ctx.L(*MENU_REPLY))
    turns = [t1, t2]
    if m.place.open_at(ctx.when) and rng.random() < 0.5:
        item = ctx.pick([i for i in ITEMS.values() if i.m == m.id])
        t3, line, fulfil = mt_order_turn(ctx, user, m, item)
        turns.append(t3)
        expect = order_expect(user, m.id, [line], fulfil)
        expect["calls"] = [E("nearby_places", kind=kind), E("get_menu", merchant_id=m.id)] + expect["calls"]
        tags = ["multi_turn", "maps", "order", "confirm"]
    else:
        expect = read_only([E("nearby_places", kind=kind, result={"places": has({"merchant_id": m.id})}),
                            E("get_menu", merchant_id=m.id)])
        tags = ["multi_turn", "maps", "catalog"]
    return make_task(ctx, "multi_turn.nearby_menu", user, turns, expect, tags)


VEHICLE_PICK = {"economy": (["economy", "cheapest"], ["经济型", "最便宜的"]),
                "comfort": (["comfort"], ["舒适型"]), "xl": (["XL", "big"], ["大车", "六座"])}


def fam_mt_quote_ride(ctx):
    ctx.set_now(0.7)
    user = user_for(ctx)
    a, to_en, to_zh, fr_en, fr_zh, loc, to_end = ride_ends(ctx, user)
    if ctx.lang == "en":
        text = ctx.fill(ctx.tpl(B["ride_quote"]), to=to_en, **{"from": fr_en})
    else:
        text = ctx.fill(ctx.tpl(B["ride_quote"]), to=to_zh, from_zh=fr_zh)
    t1 = turn(ctx.noise(text), call("ride_quote", **a), ctx.L(*QUOTE_REPLY))
    vehicle = ctx.rng.choice(["economy", "comfort", "xl"])
    v = ctx.rng.choice(VEHICLE_PICK[vehicle][0 if ctx.lang == "en" else 1])
    t2 = turn(ctx.noise(ctx.fill(ctx.tpl(B["mt_ride"]), v=v), polite=False),
              call("request_ride", **dict(a, vehicle=vehicle)), confirm=True)
    expect = {"calls": [E("ride_quote"), E("request_ride", vehicle=vehicle)],
              "action": {"tool": "request_ride", "status": "confirmed", "content": {"vehicle": vehicle}},
              "db": [q("SELECT vehicle, status FROM rides", [vehicle, "requested"]), wallet_paid(user)]}
    return make_task(ctx, "multi_turn.quote_ride", user, [t1, t2], expect,
                     ["multi_turn", "rides", "confirm"], location=loc)


def fam_mt_table(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    p, a, slots = table_request(ctx, user)
    t1 = turn(ctx.noise(ctx.fill(ctx.tpl(B["table_check"]), **slots)),
              place_lookup(p, ctx.lang, "restaurant"), call("table_availability", **a),
              ctx.L(*AVAIL_REPLY))
    t2 = turn(ctx.noise(ctx.tpl(B["mt_book_it"]), polite=False), call("book_table", **a), confirm=True)
    expect = {"calls": [E("table_availability", **a), E("book_table", **a)],
              "action": {"tool": "book_table", "status": "confirmed",
                         "content": {"place": {"id": p.id}, "date": a["date"], "time": a["time"],
                                     "party_size": a["party_size"]}},
              "db": [q("SELECT poi_id, party_size, status FROM table_bookings",
                       [p.id, a["party_size"], "booked"])]}
    return make_task(ctx, "multi_turn.table", user, [t1, t2], expect,
                     ["multi_turn", "bookings", "table", "confirm"])


def fam_mt_hotel(ctx):
    ctx.set_now(0.5)
    user = user_for(ctx)
    h, room, nights, a, slots = hotel_request(ctx, user)
    tpl = ctx.tpl(B["hotel_check"])
    if not re.search(r"\{gz?\}", tpl):
        if room["max_guests"] < 2:
            raise Retry()
        a["guests"] = 2  # guests not said: two
    t1 = turn(ctx.noise(ctx.fill(tpl, **slots)),
              place_lookup(h, ctx.lang, "hotel"), call("hotel_availability", **a),
              ctx.L(*(HOTEL_REPLY if a["guests"] <= 2 else HOTEL_REPLY_ONE)))
    rw = ctx.rng.choice(ROOM_WORDS[room["en"]][0 if ctx.lang == "en" else 1])
    book = dict(room_type_id=room["id"], check_in=a["check_in"], check_out=a["check_out"],
                guests=a["guests"])
    t2 = turn(ctx.noise(ctx.fill(ctx.tpl(B["mt_room"]), room=rw), polite=False),
              call("book_hotel", **book), confirm=True)
    setup, start = hotel_funds(user, room["price"] * nights)
    expect = hotel_expect(user, h, room, nights, a, start,
                          [E("hotel_availability", **a), E("book_hotel", **book)])
    return make_task(ctx, "multi_turn.hotel", user, [t1, t2], expect,
                     ["multi_turn", "bookings", "hotel", "confirm"], setup=setup or None)


def fam_mt_topup(ctx):
    ctx.set_now(0.8)
    user = user_for(ctx)
    t1 = turn(ctx.noise(ctx.tpl(B["wallet"])), call("get_wallet"), ctx.L(*WALLET_REPLY))
    yuan = pick_topup(ctx)
    t2 = turn(ctx.noise(ctx.fill(ctx.tpl(B["mt_topup"]), amt=amount_words(ctx, yuan)), polite=False),
              call("top_up_wallet", amount=yuan * 100), confirm=True)
    expect = topup_expect(user, yuan, True)
    expect["calls"].insert(0, E("get_wallet"))
    return make_task(ctx, "multi_turn.wallet", user, [t1, t2], expect,
                     ["multi_turn", "wallet", "confirm"])


def fam_mt_thanks(ctx):
    """A task, then small talk: the reply needs no tool."""
    rng = ctx.rng
    first = rng.choice([fam_wallet, fam_coupons, fam_route, fam_menu, fam_order_merchant, fam_nearby])
    task = first(ctx)
    kind = rng.choice(["thanks", "thanks", "bye"])
    en, zh, r_en, r_zh = SMALLTALK[kind]
    text = ctx.tpl_list(en if ctx.lang == "en" else zh)
    task["turns"].append(turn(text, ctx.L(r_en, r_zh)))
    if gs_lang(text) != ctx.lang:
        raise Retry()
    task["tags"] = sorted(set(task["tags"]) | {"multi_turn", "smalltalk"})
    task["_family"] = "multi_turn.smalltalk"
    return task


# ---- families: out of scope and small talk ---------------------------------------------------


def fam_oos(ctx):
    ctx.set_now(0.9)
    user = user_for(ctx)
    cat = ctx.rng.choice(sorted(OOS))
    en, zh, r_en, r_zh = OOS[cat]
    text = ctx.noise(ctx.tpl_list(en if ctx.lang == "en" else zh), polite=ctx.rng.random() < 0.5)
    expect = no_tools()
    expect["answer_contains"] = [ctx.L(r_en, r_zh)[:12]]
    return make_task(ctx, "oos." + cat, user, [turn(text, ctx.L(r_en, r_zh))], expect, ["refusal", "oos"])


def fam_smalltalk(ctx):
    ctx.set_now(0.9)
    user = user_for(ctx)
    cat = ctx.rng.choice(sorted(SMALLTALK))
    en, zh, r_en, r_zh = SMALLTALK[cat]
    text = ctx.tpl_list(en if ctx.lang == "en" else zh)
    rng = ctx.rng
    if ctx.lang == "en":
        r = rng.random()
        text = text.capitalize() if r < 0.35 else text.upper() if r < 0.4 else text
        if text[-1].isalnum():
            text += rng.choice(["", "", "!", ".", "!!", " :)"])
    elif text[-1] not in "？！。～":
        text += rng.choice(["", "", "！", "～", "。", "!"])
    expect = no_tools()
    return make_task(ctx, "smalltalk." + cat, user, [turn(text, ctx.L(r_en, r_zh))], expect,
                     ["smalltalk"])


# ---- the two splits -------------------------------------------------------------------------

# (family, generator, share of the training tasks). Orders and refinements are most of it.
FAMILIES = [
    ("order.merchant", fam_order_merchant, 2000),
    ("order.nearest", fam_order_nearest, 600),
    ("order.two_items", fam_order_two, 450),
    ("order.product", fam_order_product, 900),
    ("refine.options", fam_refine_options, 650),
    ("refine.quantity", fam_refine_quantity, 450),
    ("refine.merchant", fam_refine_merchant, 350),
    ("refine.address", fam_refine_address, 350),
    ("refine.add", fam_refine_add, 250),
    ("refine.drop", fam_refine_drop, 200),
    ("refine.cancel", fam_refine_cancel, 250),
    ("refine.chain", fam_refine_chain, 150),
    ("confirm.words", fam_confirm_words, 150),
    ("multi_turn.menu_order", fam_mt_menu_order, 230),
    ("multi_turn.search_order", fam_mt_search_order, 200),
    ("multi_turn.nearby_menu", fam_mt_nearby_menu, 130),
    ("multi_turn.quote_ride", fam_mt_quote_ride, 120),
    ("multi_turn.table", fam_mt_table, 120),
    ("multi_turn.hotel", fam_mt_hotel, 100),
    ("multi_turn.wallet", fam_mt_topup, 80),
    ("multi_turn.smalltalk", fam_mt_thanks, 150),
    ("catalog.menu", fam_menu, 300),
    ("catalog.price", fam_price, 220),
    ("catalog.search", fam_search, 250),
    ("catalog.product", fam_product_price, 200),
    ("catalog.open", fam_open, 100),
    ("maps.nearby", fam_nearby, 420),
    ("maps.route", fam_route, 380),
    ("maps.ride_quote", fam_ride_quote, 200),
    ("bookings.ride", fam_ride_book, 240),
    ("bookings.table", fam_table_book, 300),
    ("bookings.table_availability", fam_table_check, 150),
    ("bookings.hotel", fam_hotel_book, 200),
    ("bookings.hotel_availability", fam_hotel_check, 120),
    ("bookings.list", fam_bookings_list, 100),
    ("bookings.cancel", fam_bookings_cancel, 120),
    ("orders.track", fam_orders_track, 180),
    ("orders.status", fam_orders_status, 120),
    ("orders.cancel", fam_orders_cancel, 160),
    ("orders.refund", fam_orders_refund, 100),
    ("wallet.balance", fam_wallet, 110),
    ("wallet.top_up", fam_top_up, 140),
    ("coupons.list", fam_coupons, 90),
    ("coupons.claim", fam_claim, 130),
    ("cart.view", fam_cart_view, 100),
    ("cart.clear", fam_cart_clear, 100),
    ("cart.add", fam_cart_add, 100),
    ("oos", fam_oos, 260),
    ("smalltalk", fam_smalltalk, 260),
]


# The held-out split measures "no tool" answers on a few more tasks than their share.
HELDOUT_MINIMUM = {"oos": 12, "smalltalk": 12}


def quotas(total, minimum, floors=None):
    """Tasks per family: shares of `total`, at least `minimum` (or the family's floor), even
    (half English, half Chinese), summing to about `total`."""
    weight = sum(w for _, _, w in FAMILIES)
    floors = floors or {}
    scaled = total
    while True:
        out = {name: max(floors.get(name, minimum), round(scaled * w / weight))
               for name, _, w in FAMILIES}
        out = {k: v + (v % 2) for k, v in out.items()}
        if sum(out.values()) <= total or scaled <= 0:
            return out
        scaled -= max(1, (sum(out.values()) - total) // 2)


def task_key(task):
    return (task["user"], tuple(t["user"] for t in task["turns"]))


def generate(split, n, seed, taken=frozenset()):
    rng = random.Random("{}:{}".format(seed, split))
    tasks, keys = [], set(taken)
    counters = collections.Counter()
    short = collections.Counter()
    want_per_family = (quotas(n, 4, HELDOUT_MINIMUM) if split == "heldout" else quotas(n, 20))
    for name, fn, _ in FAMILIES:
        want = want_per_family[name]
        for k in range(want):
            lang = "en" if k % 2 == 0 else "zh"
            for _ in range(200):
                ctx = Ctx(rng, split, lang)
                try:
                    task = fn(ctx)
                except Retry:
                    continue
                if task_key(task) in keys:
                    continue
                break
            else:
                short[name] += 1
                continue
            keys.add(task_key(task))
            family = task.pop("_family")
            counters[(family, lang)] += 1
            task["id"] = "{}.{}.{}.{}".format("heldout" if split == "heldout" else "train", family,
                                               lang, counters[(family, lang)])
            tasks.append(task)
    for name, n_short in sorted(short.items()):
        print("{}: {} tasks short of {} (no new task in 200 draws)".format(
            split, n_short, name), file=sys.stderr)
    return tasks


def statistics(tasks):
    fam = collections.Counter()
    tools = collections.Counter()
    turns = collections.Counter()
    users = collections.Counter()
    ho = 0
    for t in tasks:
        fam[(t["id"].split(".")[1] + "." + t["id"].split(".")[2] if t["id"].count(".") >= 4 else
             t["id"].split(".")[1], t["lang"])] += 1
        turns[len(t["turns"])] += 1
        users[t["user"]] += 1
        ho += t.get("_ho_entity", False)
        for c in t["expect"].get("calls", []):
            tools[c["name"]] += 1
    return fam, tools, turns, users, ho


def write(path, tasks):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for task in tasks:
            t = {k: v for k, v in task.items() if not k.startswith("_")}
            f.write(json.dumps(t, ensure_ascii=False, separators=(",", ":")) + "\n")


def print_stats(name, tasks):
    fam, tools, turns, users, ho = statistics(tasks)
    print("{}: {} tasks, {} en / {} zh; turns {}; users {}; with a held-out entity {}".format(
        name, len(tasks), sum(1 for t in tasks if t["lang"] == "en"),
        sum(1 for t in tasks if t["lang"] == "zh"),
        dict(sorted(turns.items())), {u.split("@")[0]: n for u, n in users.items()}, ho))
    names = sorted({f for f, _ in fam})
    for f in names:
        print("  {:<34} en {:>5}  zh {:>5}".format(f, fam[(f, "en")], fam[(f, "zh")]))
    print("  expected calls per tool: " + ", ".join("{} {}".format(k, v) for k, v in sorted(tools.items())))


# ---- checking the replies' placeholders against a run's tool results -------------------------

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


def resolve(obj, path):
    for seg in path.split("."):
        if isinstance(obj, list) and seg.isdigit() and int(seg) < len(obj):
            obj = obj[int(seg)]
        elif isinstance(obj, dict) and seg in obj:
            obj = obj[seg]
        else:
            raise KeyError(path)
    return obj


def check_placeholders(tasks_path, results_path):
    """Resolves every {{...}} of every script text against the most recent tool result before
    it (as the policy server does), from `qwenlayer eval TASKS --json --results`. Returns the
    number of placeholders that do not resolve."""
    tasks = {}
    with open(tasks_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                tasks[t["id"]] = t
    with open(results_path, encoding="utf-8") as f:
        results = json.load(f)["results"]
    checked, bad = 0, collections.Counter()
    for res in results:
        for k, t in enumerate(tasks[res["id"]]["turns"], 1):
            prior = [c for c in res["calls"] if c["turn"] <= k]
            last = prior[-1].get("result") if prior else None
            for item in t["script"]:
                if item.startswith("<tool_call>"):
                    continue
                for ph in PLACEHOLDER.findall(item):
                    checked += 1
                    try:
                        if last is None:
                            raise KeyError(ph)
                        scope = {"r": last}
                        if ph.startswith(("join:", "join_zh:")):
                            path, field = ph.split(":", 1)[1].rsplit("/", 1)
                            rows = resolve(scope, path)
                            if not isinstance(rows, list) or not rows:
                                raise KeyError(ph)
                            for row in rows[:3]:
                                resolve(row, field)
                        elif ph.startswith("yuan:"):
                            if not isinstance(resolve(scope, ph[len("yuan:"):]), int):
                                raise KeyError(ph)
                        else:
                            resolve(scope, ph)
                    except KeyError:
                        bad[(res["id"], ph)] += 1
    for (task_id, ph), n in sorted(bad.items())[:50]:
        print("  {}: {} does not resolve".format(task_id, ph))
    print("{}: {} placeholders, {} do not resolve".format(tasks_path, checked, sum(bad.values())))
    return sum(bad.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", help="training tasks (JSONL) to write")
    parser.add_argument("--heldout", help="held-out tasks (JSONL) to write")
    parser.add_argument("--check", nargs=2, metavar=("TASKS", "RESULTS"),
                        help="instead: check the placeholders of TASKS against RESULTS "
                             "(qwenlayer eval TASKS --json --results)")
    parser.add_argument("--n-train", type=int, default=12000)
    parser.add_argument("--n-heldout", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stats", action="store_true", help="print tasks per family and language")
    a = parser.parse_args()
    if a.check:
        sys.exit(1 if check_placeholders(*a.check) else 0)
    if not a.train or not a.heldout:
        parser.error("--train and --heldout are required")
    train = generate("train", a.n_train, a.seed)
    heldout = generate("heldout", a.n_heldout, a.seed, taken={task_key(t) for t in train})
    write(a.train, train)
    write(a.heldout, heldout)
    print("{}: {} tasks; {}: {} tasks ({} with a held-out entity)".format(
        a.train, len(train), a.heldout, len(heldout), sum(t["_ho_entity"] for t in heldout)),
        file=sys.stderr)
    if a.stats:
        print_stats("train", train)
        print_stats("heldout", heldout)


if __name__ == "__main__":
    main()
