/* qf_names.c: Chinese personal names in normalised text (qf_names.h).
 *
 * A name is a surname and one or two given-name characters; what makes a
 * Han sequence a name rather than a word is its context. Three rules, from
 * the strongest evidence to the weakest:
 *
 *  1. a strong cue (我叫, 姓名, 联系人...) followed by any listed surname and
 *     one or two Han characters; the petitioner's known surname after a weak
 *     cue (联系, 致电, 我是...);
 *  2. the petitioner's known surname at the start of a word, one or two Han
 *     characters and a boundary;
 *  3. any listed surname followed by one or two characters common in given
 *     names, in a name context: after a verb that takes a person (联系, 通知,
 *     告诉, 找, 帮, 给...) and before a boundary, or before a word that
 *     follows a person (反映, 说, 老人, 阿姨, 先生, 来电...; the weak ones 的,
 *     家, 住, 在 only after a two-character given name at a word start),
 *     and never when an ordinary word starts there (the lexicon: 王府井,
 *     周末, 黄色, 马路...).
 *
 * Tables are plain UTF-8 strings and lists, decoded once into bitmaps and
 * code point words (pthread_once): the scan tests them at every position
 * of every text on intake's hot path. */
#include "qf_names.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ tables */

/* The ~400 most common single surnames (simplified script). */
static const char s_surnames[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹"
    "薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易"
    "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓"
    "古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬"
    "师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥"
    "南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹"
    "井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌"
    "母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉"
    "冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由代凤占庾归闪牧贝";
/* Their traditional forms, where they differ. */
static const char s_surnames_trad[] =
    "張劉陳楊黃趙吳孫馬鄭羅許韓馮鄧謝蕭葉蘇呂盧鍾譚陸範賈韋鄒閆閻龍陶賀顧龔萬錢嚴"
    "湯溫齊喬龐顏莊聶魯嶽翟歐關蘭紀畢單塗駱藍遊靳蒙鮑華饒繆車項連蘆麥婁竇黨費衛臧"
    "閔鄔邊師欒隋榮鞏鄺談鄢勞諶蔺樓閭厲區闞權帥練廉禹漆豐卿狄計晉雲來扈芮蓋薄雍辜"
    "況逯隆諸戰亢銀陰昝植堯閉鳳歸閃貝於馮蔣賴";
/* Rare surnames (a resident named 亓, 笪 or 缑 is found as well as 王). */
static const char s_surnames_rare[] =
    "仉笪缑郗逄綦訾宓暴隗沃蓬郦羿厍甯籍莘荀郇酆钮乜丌殳佴禚聿贲喜琴邗郄蹇眭"
    "郏糜蒯冀桓嵇郈爨尉迟妫濮阎闾寿宦艾堵汲扶竺瞿权逮盍益桂公仪谯";
/* Compound surnames, simplified and traditional. */
static const char *const s_compound[] = {
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "令狐", "端木", "西门", "南宫", "独孤", "轩辕", "澹台",
    "公冶", "宗政", "濮阳", "太史", "申屠", "钟离", "闻人", "赫连", "呼延", "万俟",
    "歐陽", "司馬", "諸葛", "東方", "尉遲", "公孫", "長孫", "夏侯", "令狐", "軒轅",
    "獨孤", "南宮", "鍾離", "聞人", "濮陽", "萬俟", NULL};

/* Characters common in given names (for rule 3 only: a cue or the known
 * surname accepts any Han character that is not a stop character). */
static const char s_given[] =
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美霞平刚桂兰玉萍红娥玲芬燕彩春菊凤"
    "洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗"
    "琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚"
    "宜姬舒影荔枝思婷倩颖露瑶怡婵雁蓓仪荷毅俊峰保东文辉力永健世广志义兴良海山仁波"
    "贵福生龙元全国胜学祥才发武新利清飞彬富顺信子昌成康星光天达安岩中茂进林坚彪博"
    "诚敬震振壮群豪心邦承乐绍功松善厚庆民友裕河哲江浩亮政谦亨奇固轮翰朗伯宏言若鸣"
    "朋斌梁栋维启克伦翔旭鹏泽晨辰士建致树炎德泰盛雄琛钧冠策腾楠榕风航弘宇轩然睿铭"
    "鑫鸿宸逸小晓卫秋冬宝珠花霖雨青翠芝莹娇婉婧嫣妍姗姝妮娅琪琦瑜瑾璐璇佩兵淼森根"
    "洪淑源泉润涵溪潇澄长禄寿喜惠智彦萱菡茜莎珊瑛雯霏霜晶晴晗昕昊晟晖曦远迪恒威虎"
    "鹤驰翼耀灿炜焕烨煜熙金银钢锋锦钰琨璋玮珏川帆骏峻锐嵘岭忠孝礼仲桐柏杨槐桃杏"
    "梓楷雅静怀望宣彤丰奎"
    /* traditional forms */
    "偉麗強軍豔傑濤華慧鳳潔雲蓮環榮愛鶯瓊貞蘭夢嵐韻藝詠聰瀾純悅飄瀅靄曉歡楓蕓亞儀"
    "嬋剛東輝廣義興貴龍國勝學發飛順誠會樂紹慶謙輪倫鵬澤樹鈞騰風軒銘鴻寶麗穎萍紅衛"
    "長壽遠輝燦煒燁鋼鋒錦鈺瑋駿銳嶸嶺禮楊";

/* Characters that end a given name ("张伟在3栋": 在 is not part of it). */
static const char s_stops[] =
    "的在住是和与及等说家了先女同电手联打向给对把被从到也都就还要让请为称号栋楼单元"
    "室户反映表示讲去来过已于将这那您你我他她们不没很再又师傅阿姨爷奶叔婶哥姐弟老夫"
    "妻儿媳应举报告诉致找帮问看能会可以个上下里年月日号等"
    "與說電聯給對從還讓請為稱號棟樓單戶講過於將這們沒來師爺嬸兒應舉報訴幫問會個裡裏";

/* Separators allowed between a cue and the name ("姓名：王秀兰"). */
static const char s_name_seps[] = ":, 是为爲";

/* Strong cues: a name follows, with any listed surname. */
static const char *const s_strong[] = {
    "我叫",   "本人",	"姓名",	  "名叫",   "名字是", "名字叫", "联系人",
    "报告人", "反映人", "举报人", "诉求人", "当事人", "签名",	"署名",
    "户主",   "申请人", "聯繫人", "聯系人", "報告人", "舉報人", "訴求人",
    "當事人", "簽名",	"戶主",	  "申請人", NULL};
/* Weak cues: a name may follow; only the petitioner's known surname. */
static const char *const s_weak[] = {
    "我是", "联系", "致电", "回访", "通知", "告知", "电话", "询问", "约见", "走访",
    "业主", "住户", "居民", "租户", "老人", "是",   "聯繫", "聯系", "致電", "回訪",
    "電話", "詢問", "約見", "走訪", "業主", "住戶", "租戶", NULL};
/* Rule 3: verbs that take a person; a name after them ends at a boundary. */
static const char *const s_before[] = {
    "联系", "致电", "通知", "告诉", "告知", "找",   "帮",   "给",   "询问",
    "回访", "约见", "走访", "拜访", "看望", "慰问", "陪同", "邀请", "叫",
    "问",   "请",   "转告", "交给", "联络", "聯繫", "聯系", "致電", "告訴",
    "幫",   "給",   "詢問", "回訪", "約見", "走訪", "拜訪", "慰問", "邀請",
    "問",   "請",   "轉告", "聯絡", NULL};
/* Rule 3: words that follow a person's name. */
static const char *const s_after_strong[] = {
    "反映",   "反应", "说",	"称",	"讲",	"表示", "投诉", "举报", "老人", "阿姨",
    "大爷",   "大妈", "奶奶",	"爷爷", "先生", "女士", "师傅", "同志", "老师", "来电",
    "打电话", "打来", "致电",	"报警", "家属", "夫妇", "一家", "本人", "等人", "告诉",
    "反應",   "說",   "稱",	"講",	"投訴", "舉報", "大爺", "大媽", "爺爺", "師傅",
    "老師",   "來電", "打電話", "打來", "致電", "報警", "家屬", "夫婦", "告訴", NULL};
/* ... and weaker ones: only after a two-character given name at a word
 * start. */
static const char *const s_after_weak[] = {"的", "家", "住",   "电话", "手机", "和", "与",
					   "等", "在", "電話", "手機", "與",   NULL};

/* Ordinary words that begin with a surname character and go on with
 * characters common in given names: never a name in rule 3. */
static const char *const s_lexicon[] = {
    "王府", "王国", "王子", "王朝", "王牌", "王者", "王后", "李子", "张贴", "张开",
    "张扬", "张望", "张罗", "张力", "刘海", "陈旧", "陈列", "陈述", "陈设", "杨树",
    "杨柳", "黄色", "黄金", "黄昏", "黄瓜", "黄河", "黄豆", "黄油", "周末", "周边",
    "周围", "周年", "周期", "周全", "周到", "徐徐", "孙子", "孙女", "马路", "马上",
    "马桶", "马虎", "马达", "马车", "马力", "朱红", "胡同", "胡子", "胡乱", "何时",
    "何况", "何必", "何处", "高楼", "高兴", "高明", "高中", "高速", "高温", "高峰",
    "高层", "高大", "高龄", "高空", "高度", "高压", "高级", "高新", "高山", "高原",
    "高档", "高价", "高效", "高考", "高校", "高铁", "高清", "高尚", "高手", "高贵",
    "高强", "高涨", "高潮", "高亮", "高光", "林荫", "林业", "林木", "林立", "林间",
    "郑重", "谢谢", "谢绝", "宋朝", "唐朝", "许多", "许可", "许久", "韩国", "曾经",
    "肖像", "田地", "田园", "田野", "田间", "董事", "于是", "于心", "余额", "余下",
    "余生", "杜绝", "叶子", "叶片", "程序", "程度", "苏醒", "丁香", "任务", "任何",
    "任意", "任性", "任命", "钟表", "钟点", "陆续", "陆地", "范围", "金额", "金色",
    "金属", "金融", "金子", "金钱", "金秋", "石头", "石子", "石板", "石材", "石榴",
    "石油", "夏天", "夏季", "夏日", "付款", "付费", "付出", "方向", "方式", "方面",
    "方便", "方法", "方案", "方圆", "方位", "方正", "方言", "白天", "白色", "白云",
    "白菜", "白领", "白费", "熊猫", "江边", "江水", "江南", "江山", "江湖", "段落",
    "雷雨", "雷电", "雷声", "龙头", "龙凤", "龙舟", "史上", "陶瓷", "黎明", "贺卡",
    "顾客", "顾问", "顾虑", "毛巾", "毛病", "毛毛", "毛衣", "万一", "万元", "万分",
    "万家", "钱包", "钱财", "严重", "严格", "严厉", "严肃", "严寒", "武汉", "武术",
    "武器", "莫名", "孔子", "孔洞", "向阳", "向前", "向往", "向来", "向着", "汤圆",
    "常常", "常见", "常年", "常用", "常规", "常识", "温度", "温暖", "温柔", "温馨",
    "温和", "温泉", "温州", "康复", "康乐", "康健", "施工", "施行", "文明", "文化",
    "文件", "文字", "文章", "文艺", "文体", "文物", "牛奶", "牛肉", "安全", "安静",
    "安排", "安装", "安宁", "安康", "安心", "安慰", "安置", "安稳", "安乐", "安定",
    "安然", "齐全", "齐心", "易燃", "庞大", "颜色", "庄园", "庄严", "岳父", "岳母",
    "殷切", "殷勤", "申请", "申报", "申诉", "欧洲", "耿直", "关心", "关注", "关键",
    "关系", "关于", "关门", "关爱", "关怀", "关照", "兰花", "焦虑", "焦急", "左边",
    "左右", "柳树", "甘心", "甘甜", "祝福", "祝贺", "祝愿", "包子", "包括", "包装",
    "包容", "包含", "宁静", "宁可", "宁愿", "尚未", "尚且", "符合", "舒服", "舒适",
    "舒心", "纪念", "纪律", "梅花", "梅雨", "童年", "童心", "凌晨", "凌乱", "毕业",
    "毕竟", "单位", "单独", "单身", "单纯", "季节", "季度", "涂料", "涂鸦", "成功",
    "成为", "成立", "成长", "成绩", "成本", "成员", "成熟", "成年", "成果", "成都",
    "成人", "苗木", "谷子", "盛开", "盛夏", "曲线", "骆驼", "蓝色", "蓝天", "路灯",
    "路面", "路口", "路边", "路过", "路线", "路人", "游戏", "游泳", "游客", "游乐",
    "辛苦", "管理", "管道", "管子", "管家", "柴火", "华丽", "华人", "华为", "房子",
    "房间", "房东", "房租", "房屋", "房主", "房产", "解决", "解释", "解放", "解除",
    "尤其", "阳光", "阳台", "阳性", "时间", "时候", "时光", "时尚", "农民", "农村",
    "农业", "农田", "司机", "司法", "卓越", "古代", "古老", "吉祥", "吉利", "简单",
    "简直", "车辆", "车子", "车库", "车位", "项目", "连续", "连接", "连忙", "麦子",
    "景色", "景观", "景点", "党员", "费用", "冷气", "冷静", "冷水", "席位", "卫生",
    "卫星", "米饭", "柏油", "宗教", "桂花", "全部", "全国", "全民", "全面", "全体",
    "全天", "全新", "全力", "应该", "应急", "边上", "师生", "师傅", "仇恨", "商场",
    "商品", "商量", "商店", "刁难", "沙子", "沙发", "沙滩", "荣誉", "丛林", "巩固",
    "明天", "明白", "明显", "明年", "明星", "明亮", "明确", "明媚", "池塘", "查看",
    "查询", "麻烦", "迟到", "居民", "居住", "门卫", "门口", "海洋", "海边", "国家",
    "国庆", "国民", "国际", "平安", "平时", "平静", "平台", "平常", "来源", "都市",
    "花园", "花坛", "强烈", "初中", "初步", "南方", "南京", "秋天", "秋季", "燕子",
    "云南", "公安", "公园", "公司", "公共", "公民", "公平", "公开", "原来", "原因",
    "区域", "利益", "相信", "相关", "容易", "敬老", "乐园", "乐意", "信息", "信心",
    "信用", "印象", "宿舍", "战士", "危险", "玉米", "银行", "母亲", "阿姨", "戴上",
    "楼上", "楼下", "楼道", "满意", "燕京", "晋江", "盖子", "支持", "支付", "计划",
    "计算", "索性", "宣传", "普通", "普遍", "浦东", "伏天", "干净", "干部", "但愿",
    "展开", "智能", "幸福", "富裕", "衡量", "束缚", "伊始", "洪水", "杭州", "修理",
    "修建", "鲜花", "居委", "井盖", "强调", "皮肤", "楚楚", "劳动", "满足", "邮政",
    "黄河", "長期", "東西", "國家", "張貼", "馬路", "黃色", "關心", "電梯", NULL};

/* More of them, from a stress test: words of a word-frequency list
 * (frequency >= 300, not tagged as names) that begin with a listed surname
 * and that rule 3 masked before a context word ("和平反映", "联系南宁。"),
 * less the few that are also plausible names. */
static const char *const s_lexicon_freq[] = {
    "权力", "丰富", "喜欢", "平民", "和平", "权利", "海军", "文学", "封建",
    "武昌", "利润", "伊朗", "银子", "明清", "祖国", "居然", "官兵", "战国",
    "战胜", "原子", "那天", "官军", "南海", "万美元", "全长", "元素", "宫中",
    "公子", "区长", "华山", "时辰", "鲜明", "冶金", "武士", "揭露", "喜爱",
    "方才", "师妹", "全军", "金银", "池河", "暴露", "穆斯林", "武力", "严峻",
    "华中", "荆江", "师长", "甘泉", "武艺", "鲜美", "暴力", "战友", "花生",
    "苏丹", "智力", "房中", "全然", "芦花", "阴影", "强盛", "来信", "南昌",
    "史学", "隆中", "司长", "华东", "焦山河", "喜悦", "金星", "南亚", "伊斯兰",
    "隆庆", "卫士", "党政", "诸国", "平生", "皮子", "江中", "金轮", "关中",
    "米兰", "江河", "全文", "鲜艳", "林中", "关山", "公然", "申花", "智利",
    "强力", "暴雨", "班长", "班子", "母子", "官山", "宁波", "鲜红", "卫兵",
    "连长", "应力", "周长", "荆东", "黄山", "燕山", "路子", "相望", "公文",
    "赫然", "衡山", "卫国", "奉天", "楚国", "关东", "季风", "南美", "揭发",
    "盘子", "黄花", "黄安", "巫山", "龙泉", "丰厚", "黄海", "南航", "丛中",
    "国安", "沙河", "南平", "费力", "植树", "战功", "喜庆", "计策", "南洋",
    "平凡", "江东", "国力", "来华", "平平", "强国", "国宝", "文中", "毕生",
    "银河", "成群", "相宜", "巴东", "党风", "牧民", "党政军", "劳力", "曲子",
    "富强", "原文", "简洁", "游子", "归国", "位子", "简明", "战胜国", "车长",
    "漆树", "安庆", "南宁", "齐国", "南山", "车轮", "满心", "原子能", NULL};

/* ------------------------------------------------------------ decoded */

#define BMP_BITS (0x10000 / 8)

struct word {
	uint32_t cp[8];
	size_t n;
};

/* One list of words, decoded, with a bitmap of their first characters. */
struct words {
	struct word w[1024]; /* sorted by first code point */
	size_t n;
	uint8_t first[BMP_BITS]; /* first characters of the words */
	uint8_t last[BMP_BITS];	 /* last characters of the words */
};

enum { SET_SURNAME, SET_GIVEN, SET_STOP, SET_SEPS, NSETS };

static struct {
	uint8_t set[NSETS][BMP_BITS];
	struct words compound, strong, weak, before, after_strong, after_weak, lexicon;
} s_tab;
static pthread_once_t s_tab_once = PTHREAD_ONCE_INIT;

static void s_bit_set(uint8_t *bits, uint32_t c)
{
	if (c < 0x10000)
		bits[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int s_bit(const uint8_t *bits, uint32_t c)
{
	return c < 0x10000 && ((bits[c >> 3] >> (c & 7)) & 1);
}

static void s_set_add(uint8_t *bits, const char *s)
{
	size_t i = 0, n = strlen(s);
	while (i < n)
		s_bit_set(bits, qf_norm_decode((const unsigned char *)s, n, &i));
}

static int s_word_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct word *)a)->cp[0], y = ((const struct word *)b)->cp[0];
	return x < y ? -1 : x > y;
}

/* Append the words of src (NULL-terminated) to ws; sorted by s_words_sort. */
static void s_words_add(struct words *ws, const char *const *src)
{
	for (size_t k = 0; src[k] && ws->n < sizeof ws->w / sizeof ws->w[0]; k++) {
		struct word *w = &ws->w[ws->n];
		size_t i = 0, n = strlen(src[k]);
		w->n = 0;
		while (i < n && w->n < sizeof w->cp / sizeof w->cp[0])
			w->cp[w->n++] =
			    qf_norm_decode((const unsigned char *)src[k], n, &i);
		if (!w->n)
			continue;
		s_bit_set(ws->first, w->cp[0]);
		s_bit_set(ws->last, w->cp[w->n - 1]);
		ws->n++;
	}
}

static void s_words_sort(struct words *ws)
{
	qsort(ws->w, ws->n, sizeof ws->w[0], s_word_cmp);
}

static void s_words_load(struct words *ws, const char *const *src)
{
	ws->n = 0;
	s_words_add(ws, src);
	s_words_sort(ws);
}

static void s_tab_build(void)
{
	s_set_add(s_tab.set[SET_SURNAME], s_surnames);
	s_set_add(s_tab.set[SET_SURNAME], s_surnames_trad);
	s_set_add(s_tab.set[SET_SURNAME], s_surnames_rare);
	s_set_add(s_tab.set[SET_GIVEN], s_given);
	s_set_add(s_tab.set[SET_STOP], s_stops);
	s_set_add(s_tab.set[SET_SEPS], s_name_seps);
	s_words_load(&s_tab.compound, s_compound);
	s_words_load(&s_tab.strong, s_strong);
	s_words_load(&s_tab.weak, s_weak);
	s_words_load(&s_tab.before, s_before);
	s_words_load(&s_tab.after_strong, s_after_strong);
	s_words_load(&s_tab.after_weak, s_after_weak);
	s_words_add(&s_tab.lexicon, s_lexicon);
	s_words_add(&s_tab.lexicon, s_lexicon_freq);
	s_words_sort(&s_tab.lexicon);
}

static void s_tab_init(void) { pthread_once(&s_tab_once, s_tab_build); }

/* ------------------------------------------------------------ matching */

/* The text being scanned. */
struct scan {
	const struct qf_norm_char *ch;
	size_t n;
	const uint8_t *used;
	struct word known; /* the petitioner's surname (n = 0: none) */
	qf_names_fn fn;
	void *arg;
};

static int s_free(const struct scan *s, size_t p)
{
	return p < s->n && !(s->used && s->used[p]);
}

static uint32_t s_c(const struct scan *s, size_t p) { return p < s->n ? s->ch[p].c : 0; }

/* Length of word w at p (all free), or 0. */
static size_t s_word_at(const struct scan *s, size_t p, const struct word *w)
{
	if (!w->n || p + w->n > s->n)
		return 0;
	for (size_t k = 0; k < w->n; k++)
		if (s->ch[p + k].c != w->cp[k] || !s_free(s, p + k))
			return 0;
	return w->n;
}

/* Longest word of ws at p, or 0. */
static size_t s_words_at(const struct scan *s, size_t p, const struct words *ws)
{
	if (p >= s->n || !s_bit(ws->first, s->ch[p].c))
		return 0;
	uint32_t c = s->ch[p].c;
	size_t lo = 0, hi = ws->n, best = 0;
	while (lo < hi) { /* the first word starting with c */
		size_t mid = (lo + hi) / 2;
		if (ws->w[mid].cp[0] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < ws->n && ws->w[k].cp[0] == c; k++) {
		size_t l = s_word_at(s, p, &ws->w[k]);
		if (l > best)
			best = l;
	}
	return best;
}

/* Does a word of ws end right before p? */
static int s_words_end_at(const struct scan *s, size_t p, const struct words *ws)
{
	if (p == 0 || !s_bit(ws->last, s->ch[p - 1].c))
		return 0;
	for (size_t k = 0; k < ws->n; k++) {
		const struct word *w = &ws->w[k];
		if (w->n <= p && s_word_at(s, p - w->n, w) == w->n)
			return 1;
	}
	return 0;
}

static int s_stop(uint32_t c) { return s_bit(s_tab.set[SET_STOP], c); }

/* A listed surname at p: 2 for a compound one, 1 for a single one. */
static size_t s_surname_at(const struct scan *s, size_t p)
{
	if (!s_free(s, p))
		return 0;
	if (s_words_at(s, p, &s_tab.compound) == 2)
		return 2;
	return s_bit(s_tab.set[SET_SURNAME], s->ch[p].c) ? 1 : 0;
}

/* Given name after a cue or the known surname: up to two free Han
 * characters that are not stop characters. */
static size_t s_given_any(const struct scan *s, size_t p)
{
	size_t k = 0;
	while (k < 2 && s_free(s, p + k) && qf_norm_is_han(s_c(s, p + k)) &&
	       !s_stop(s_c(s, p + k)))
		k++;
	return k;
}

/* Given name for rule 3: up to max free characters common in names. */
static size_t s_given_listed(const struct scan *s, size_t p, size_t max)
{
	size_t k = 0;
	while (k < max && s_free(s, p + k) &&
	       s_bit(s_tab.set[SET_GIVEN], s_c(s, p + k)) && !s_stop(s_c(s, p + k)))
		k++;
	return k;
}

/* 2: a strong after-context word at p, 1: a weak one, 0: none. */
static int s_after_at(const struct scan *s, size_t p)
{
	if (s_words_at(s, p, &s_tab.after_strong))
		return 2;
	return s_words_at(s, p, &s_tab.after_weak) ? 1 : 0;
}

/* Can a name end before p? */
static int s_boundary(const struct scan *s, size_t p)
{
	if (!s_free(s, p))
		return 1;
	uint32_t c = s->ch[p].c;
	return !qf_norm_is_han(c) || s_stop(c) || s_after_at(s, p);
}

/* Can a word start at p? */
static int s_word_start(const struct scan *s, size_t p)
{
	if (p == 0 || !s_free(s, p - 1))
		return 1;
	uint32_t c = s->ch[p - 1].c;
	return !qf_norm_is_han(c) || s_stop(c) || s_words_end_at(s, p, &s_tab.before);
}

static void s_hit(struct scan *s, size_t at, size_t sl, size_t gl, enum qf_names_rule r)
{
	s->fn(s->arg, at, sl, gl, r);
}

/* ------------------------------------------------------------ rules */

/* Rule 1: a cue at i. Returns the position after the name, or 0. */
static size_t s_rule_cue(struct scan *s, size_t i)
{
	int strong = 1;
	size_t cl = s_words_at(s, i, &s_tab.strong);
	if (!cl && s->known.n) {
		cl = s_words_at(s, i, &s_tab.weak);
		strong = 0;
	}
	if (!cl)
		return 0;
	size_t p = i + cl;
	while (p < i + cl + 2 && s_free(s, p) && s_bit(s_tab.set[SET_SEPS], s->ch[p].c))
		p++;
	size_t sl = s_word_at(s, p, &s->known);
	if (!sl && strong)
		sl = s_surname_at(s, p);
	size_t gl = sl ? s_given_any(s, p + sl) : 0;
	if (!sl || !gl)
		return 0;
	s_hit(s, p, sl, gl, strong ? QF_NAMES_CUE : QF_NAMES_KNOWN_SURNAME);
	return p + sl + gl;
}

/* Rule 2: the known surname at a word start, its given name, a boundary. */
static size_t s_rule_known(struct scan *s, size_t i)
{
	if (!s->known.n || !s_word_start(s, i))
		return 0;
	size_t sl = s_word_at(s, i, &s->known);
	size_t gl = sl ? s_given_any(s, i + sl) : 0;
	if (!gl || !s_boundary(s, i + sl + gl))
		return 0;
	s_hit(s, i, sl, gl, QF_NAMES_KNOWN_SURNAME);
	return i + sl + gl;
}

/* Rule 3: a listed surname in a name context. */
static size_t s_rule_context(struct scan *s, size_t i)
{
	size_t sl = s_surname_at(s, i);
	if (!sl)
		return 0;
	size_t gl = 0;
	if (i && s_words_end_at(s, i, &s_tab.before)) {
		gl = s_given_listed(s, i + sl, 2);
		if (gl == 1 && !s_boundary(s, i + sl + 1))
			gl = 0;
	} else {
		for (size_t g = 2; g >= 1 && !gl; g--) {
			if (s_given_listed(s, i + sl, g) != g)
				continue;
			int a = s_after_at(s, i + sl + g);
			if (a == 2 || (a == 1 && g == 2 && s_word_start(s, i)))
				gl = g;
		}
	}
	if (!gl || s_words_at(s, i, &s_tab.lexicon))
		return 0;
	s_hit(s, i, sl, gl, QF_NAMES_CONTEXT);
	return i + sl + gl;
}

/* ------------------------------------------------------------ public */

void qf_names_scan(const struct qf_norm_char *ch, size_t n, const uint8_t *used,
		   const char *surname, qf_names_fn fn, void *arg)
{
	s_tab_init();
	struct scan s = {ch, n, used, {{0}, 0}, fn, arg};
	if (surname && *surname) {
		size_t i = 0, len = strlen(surname);
		while (i < len && s.known.n < 2)
			s.known.cp[s.known.n++] =
			    qf_norm_decode((const unsigned char *)surname, len, &i);
		if (i < len || !qf_norm_is_han(s.known.cp[0]))
			s.known.n = 0; /* not a surname: never matches */
	}
	for (size_t i = 0; i < n; i++) {
		if (!s_free(&s, i) || !qf_norm_is_han(ch[i].c))
			continue;
		size_t next = s_rule_cue(&s, i);
		if (!next)
			next = s_rule_known(&s, i);
		if (!next)
			next = s_rule_context(&s, i);
		if (next)
			i = next - 1;
	}
}

size_t qf_names_surname_len(const uint32_t *cp, size_t n)
{
	s_tab_init();
	if (!n)
		return 0;
	for (size_t k = 0; k < s_tab.compound.n; k++) {
		const struct word *w = &s_tab.compound.w[k];
		if (n >= 2 && cp[0] == w->cp[0] && cp[1] == w->cp[1])
			return 2;
	}
	return 1;
}

int qf_names_is_surname(uint32_t c)
{
	s_tab_init();
	return s_bit(s_tab.set[SET_SURNAME], c);
}
