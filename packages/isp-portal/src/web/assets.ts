/** Static assets, served from memory: no build step, same origin (the CSP allows nothing else). */
export const CSS = `
:root{--bg:#f5f7fa;--card:#fff;--ink:#1c2430;--muted:#5d6b7e;--line:#dde3ea;--brand:#0b5cab;--brand-2:#e8f1fb;--ok:#1e7b45;--warn:#a35c00;--bad:#b3261e}
*{box-sizing:border-box}body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans CJK JP","Noto Sans JP","IPAPGothic",Meiryo,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#0d2440;color:#fff}.bar{max-width:1320px;margin:0 auto;display:flex;align-items:center;gap:10px;padding:0 16px;min-height:50px}
.brand{color:#fff;font-weight:700;text-decoration:none;font-size:17px;letter-spacing:.02em}
nav{display:flex;gap:0;flex-wrap:wrap}nav a{color:#c9d6e6;text-decoration:none;padding:16px 6px 13px;font-size:13px;border-bottom:3px solid transparent;white-space:nowrap}
nav a:hover{color:#fff}nav a.on{color:#fff;border-bottom-color:#5aa7ff}
.right{margin-left:auto;display:flex;gap:12px;align-items:center;font-size:13px;white-space:nowrap}.right a,.right .link{color:#c9d6e6}.who{color:#9fb3c8}
.lang{border:1px solid #49617d;border-radius:4px;padding:3px 8px;text-decoration:none}
main{max-width:1320px;margin:0 auto;padding:24px 20px 40px}h1{font-size:22px;margin:4px 0 18px}h2{font-size:17px;margin:26px 0 10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin-bottom:18px}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden;font-size:14px}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid var(--line);vertical-align:top}th{background:#eef2f7;font-weight:600;color:#33425a;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr:last-child td{border-bottom:0}tbody tr:hover{background:#f9fbfd}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:18px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:14px;margin:16px 0}.charts svg{width:100%;height:auto;background:#fff;border-radius:8px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px}.stat b{display:block;font-size:24px;font-variant-numeric:tabular-nums}.stat span{color:var(--muted);font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e9edf2;color:#33425a;white-space:nowrap}
.s-released,.s-closed,.s-approved,.s-returned_sent{background:#e3f4ea;color:var(--ok)}.s-failed,.s-rejected{background:#fbe9e7;color:var(--bad)}
.s-parsing,.s-routing,.s-uploaded,.s-pending,.s-awaiting_approval{background:#fff3e0;color:var(--warn)}.s-ready,.s-notified,.s-downloaded{background:var(--brand-2);color:var(--brand)}
.overdue{color:var(--bad);font-weight:600}
form.stack{display:grid;gap:12px;max-width:520px}label{display:grid;gap:4px;font-size:14px;color:#33425a}
input,select,textarea{font:inherit;padding:8px 10px;border:1px solid #c3ccd7;border-radius:6px;background:#fff}input:focus,select:focus{outline:2px solid #5aa7ff;border-color:#5aa7ff}
button,.button{font:inherit;background:var(--brand);color:#fff;border:0;border-radius:6px;padding:8px 16px;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--brand);border:1px solid var(--brand)}button.danger{background:var(--bad)}
button.link{background:none;border:0;padding:0;text-decoration:underline;cursor:pointer;font-size:13px}form.inline{display:inline}
.row{display:flex;gap:10px;flex-wrap:wrap;align-items:end}.muted{color:var(--muted)}
.flash{padding:10px 14px;border-radius:6px;margin-bottom:16px}.flash.ok{background:#e3f4ea;color:var(--ok)}.flash.error{background:#fbe9e7;color:var(--bad)}
.signin{max-width:380px;margin:40px auto}.secret{font-family:ui-monospace,monospace;background:#0d2440;color:#fff;padding:10px;border-radius:6px;word-break:break-all}
.qr svg{width:200px;height:200px;background:#fff;border:1px solid #ddd;border-radius:6px}
.steps{display:flex;gap:0;margin:18px 0;list-style:none;padding:0}.steps li{flex:1;padding:10px 12px;border-top:4px solid var(--line);color:var(--muted);font-size:14px}
.steps li.done{border-color:var(--ok);color:var(--ok)}.steps li.active{border-color:#5aa7ff;color:var(--brand);font-weight:600}.steps li.failed{border-color:var(--bad);color:var(--bad)}
progress{width:100%;height:10px}footer{max-width:1320px;margin:0 auto;padding:10px 20px 30px;color:var(--muted);font-size:12px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin-bottom:12px;border-radius:8px}.scroll table{min-width:100%}
.pager{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:8px 0 12px;font-size:14px}.pager .count{color:var(--muted);font-variant-numeric:tabular-nums}
form.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:end;margin-bottom:12px}form.filters label{font-size:13px}
.s-refused{background:#fbe9e7;color:var(--bad)}details.raw{margin-top:6px;color:var(--muted);font-size:13px}
.codes td:first-child{white-space:nowrap}.onetime{font-size:18px}ul.secret{list-style:none;margin:8px 0}input,select,textarea{max-width:100%}label{min-width:0}form.stack,label{grid-template-columns:minmax(0,1fr)}.card{overflow-wrap:anywhere}
@media (max-width:760px){
.bar{flex-wrap:wrap;padding:6px 12px;gap:6px 12px}.right{margin-left:auto;gap:8px;flex-wrap:wrap;white-space:normal}.who{display:none}
nav{order:3;width:100%;flex-wrap:nowrap;overflow-x:auto;-webkit-overflow-scrolling:touch}nav a{padding:8px 8px 6px}
main{padding:14px 12px 30px}h1{font-size:19px}.card{padding:12px}.charts{grid-template-columns:1fr}
.grid{grid-template-columns:repeat(2,minmax(0,1fr))}.stat b{font-size:19px}
th,td{padding:6px 8px}table{font-size:13px}.scroll table{width:auto;min-width:100%}
}
code{font-family:ui-monospace,monospace;font-size:13px;background:#eef2f7;padding:1px 4px;border-radius:3px}
`;

/** The upload page: sends the file with progress, then polls the list's status until it is released or fails. */
export const UPLOAD_JS = `
(function(){
  var form=document.getElementById('upload-form'); if(!form) return;
  var bar=document.getElementById('upload-progress'), status=document.getElementById('upload-status'), steps=document.querySelectorAll('.steps li');
  var order=['upload','parse','route','release'];
  function mark(active, failed){ steps.forEach(function(li,i){ li.className = i<active?'done':(i===active?(failed?'failed':'active'):''); }); }
  function stepOf(state){ return {uploaded:1,parsing:1,parsed:2,routing:2,routed:3,awaiting_approval:3,released:4,returned_sent:4,failed:-1}[state]; }
  form.addEventListener('submit', function(ev){
    ev.preventDefault(); status.textContent=''; mark(0);
    var xhr=new XMLHttpRequest(); xhr.open('POST','/api/v1/lists'); xhr.setRequestHeader('x-csrf-token', form.dataset.csrf);
    xhr.upload.onprogress=function(e){ if(e.lengthComputable){ bar.value=e.loaded/e.total*100; } };
    xhr.onload=function(){
      var body={}; try{ body=JSON.parse(xhr.responseText); }catch(e){}
      if(xhr.status>=300){ mark(0,true); status.textContent=(body.error&&body.error.message)||('HTTP '+xhr.status); status.className='flash error'; return; }
      bar.value=100; poll(body.list.id);
    };
    xhr.onerror=function(){ status.textContent=form.dataset.neterror; status.className='flash error'; };
    xhr.send(new FormData(form));
  });
  function poll(id){
    fetch('/api/v1/lists/'+id,{headers:{accept:'application/json'}}).then(function(r){return r.json();}).then(function(b){
      var l=b.list, s=stepOf(l.state);
      status.className='flash ok'; status.innerHTML='';
      var a=document.createElement('a'); a.href='/lists/'+id; a.id='list-link'; a.textContent=form.dataset.open+' #'+id+' — '+l.stateLabel; status.appendChild(a);
      if(s===-1){ mark(1,true); status.className='flash error'; var f=document.createElement('p'); f.id='upload-failure'; f.textContent=l.failureMessage||l.failure||''; status.appendChild(f); return; }
      mark(s); document.getElementById('upload-state').textContent=l.state;
      if(s<4) setTimeout(function(){poll(id);}, 700);
    }).catch(function(){ setTimeout(function(){poll(id);}, 1500); });
  }
})();
`;
